"""Where the modules of a project are, as Python would find them.

A project's source roots are its root, every directory under it that holds a package of its own
(`pyproject.toml`, `setup.py` or `setup.cfg`: the packages of a monorepo), and the `src/` of each
of these. A file's module name is its path under the deepest root that holds it, so
`src/app/models.py` is `app.models` and `packages/core/src/core/db.py` is `core.db`; a directory
without `__init__.py` is a namespace package like any other. The layout depends only on the
file system, never on which files a run names, so a run over five staged files names every
module as a run over the whole project does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
# Directories that never hold the project's own modules, and deep trees not worth walking.
SKIPPED = frozenset({"node_modules", "site-packages", "__pycache__", "build", "dist", "venv", "env"})
MAX_DEPTH = 4
MAX_DIRECTORIES = 5_000


@dataclass(frozen=True)
class ProjectLayout:
    root: Path
    source_roots: tuple[Path, ...]  # deepest first
    _found: dict[str, Path | None] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def module_of(self, path: Path) -> tuple[str, bool] | None:
        """(dotted module name, is a package) of a `.py` file under a source root."""
        absolute = Path(os.path.abspath(path))
        if absolute.suffix != ".py":
            return None
        for root in self.source_roots:
            try:
                parts = absolute.relative_to(root).with_suffix("").parts
            except ValueError:
                continue
            package = parts[-1] == "__init__"
            names = parts[:-1] if package else parts
            if names and all(name.isidentifier() for name in names):
                return ".".join(names), package
            return None
        return None

    def find(self, module: str) -> Path | None:
        """The file of a module of the project (`a/b.py` or `a/b/__init__.py` under a source
        root), or None. Memoised: a run asks about the same modules again and again."""
        if module in self._found:
            return self._found[module]
        found = None
        if module and all(part.isidentifier() for part in module.split(".")):
            relative = Path(*module.split("."))
            for root in self.source_roots:
                for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
                    if candidate.is_file():
                        found = candidate
                        break
                if found is not None:
                    break
        self._found[module] = found
        return found


def absolute_name(qualname: str, module: str | None, is_package: bool) -> str | None:
    """`.settings.MAX` in `app.main` is `app.settings.MAX`; None when it climbs out."""
    if not qualname.startswith("."):
        return qualname
    dots = len(qualname) - len(qualname.lstrip("."))
    if module is None:
        return None
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if dots - 1 > len(parts) or (dots - 1 == len(parts) and not qualname[dots:]):
        return None
    base = parts[: len(parts) - (dots - 1)]
    rest = qualname[dots:]
    return ".".join([*base, rest] if rest else base) or None


def discover_layout(root: Path) -> ProjectLayout:
    """Walk the top of the project for package roots (bounded: depth and directory count)."""
    root = Path(os.path.abspath(root))
    roots = {root}
    queue = [(root, 0)]
    seen = 0
    while queue and seen < MAX_DIRECTORIES:
        directory, depth = queue.pop()
        seen += 1
        try:
            with os.scandir(directory) as entries:
                children = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        except OSError:
            continue
        names = {name for name, _ in children}
        if directory != root and names & set(PACKAGE_FILES):
            roots.add(directory)
        if "pyvenv.cfg" in names:
            continue
        if depth < MAX_DEPTH:
            queue.extend((directory / name, depth + 1) for name, is_dir in children if is_dir and not name.startswith(".") and name not in SKIPPED)
    with_src = roots | {r / "src" for r in roots if (r / "src").is_dir()}
    return ProjectLayout(root, tuple(sorted(with_src, key=lambda p: (-len(p.parts), str(p)))))
