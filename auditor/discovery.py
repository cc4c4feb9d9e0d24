"""Which files to check: explicit files as given, directories walked honouring `.gitignore`
(nested ones too) and the `exclude`/`extend-exclude` settings, in a stable order.

Exclude patterns use `.gitignore` syntax relative to the configuration file's directory, so
`build` excludes every directory named build and `tests/fixtures` only that one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pathspec

from auditor.config import Settings

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Candidate:
    """A file to check, or a path that could not be walked (`error` set)."""

    path: Path
    error: str | None = None


@lru_cache(maxsize=None)
def _exclude_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def is_excluded(path: Path, settings: Settings, is_dir: bool | None = None) -> bool:
    """Does an exclude pattern match this path, or a directory above it, under the root?"""
    spec = _exclude_spec((*settings.exclude, *settings.extend_exclude))
    absolute = path if path.is_absolute() else path.resolve()
    try:
        parts = absolute.relative_to(settings.root).parts
    except ValueError:
        # Outside the project root: only patterns without a slash (names) can apply.
        parts = (absolute.name,)
    if is_dir is None:
        is_dir = path.is_dir()
    for depth in range(1, len(parts) + 1):
        last = depth == len(parts)
        text = "/".join(parts[:depth]) + ("/" if (not last or is_dir) else "")
        if spec.match_file(text):
            return True
    return False


class _GitIgnores:
    """The .gitignore files met on the way down, each applying to its own directory."""

    def __init__(self) -> None:
        self._specs: dict[Path, pathspec.PathSpec | None] = {}

    def spec_for(self, directory: Path) -> pathspec.PathSpec | None:
        if directory not in self._specs:
            ignore_file = directory / ".gitignore"
            spec = None
            try:
                if ignore_file.is_file():
                    spec = pathspec.GitIgnoreSpec.from_lines(ignore_file.read_text(encoding="utf-8", errors="replace").splitlines())
            except OSError:
                spec = None
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: Path, is_dir: bool, stack: list[Path]) -> bool:
        for directory in stack:
            spec = self.spec_for(directory)
            if spec is None:
                continue
            relative = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
            if spec.match_file(relative):
                return True
        return False


def discover(
    paths: list[Path],
    settings_for: Callable[[Path], Settings],
    force_exclude: bool = False,
) -> list[Candidate]:
    """Every file to check under `paths`, sorted and without duplicates."""
    found: dict[Path, Candidate] = {}
    ignores = _GitIgnores()
    for given in paths:
        if given.is_dir():
            if force_exclude and is_excluded(given, settings_for(given)):
                continue
            for candidate in _walk(given, settings_for, ignores):
                found.setdefault(candidate.path, candidate)
        elif given.exists() or given.is_symlink():
            if force_exclude and is_excluded(given, settings_for(given)):
                continue
            found.setdefault(given, Candidate(given))
        else:
            found.setdefault(given, Candidate(given, "no such file or directory"))
    return sorted(found.values(), key=lambda c: c.path.as_posix())


def _walk(root: Path, settings_for: Callable[[Path], Settings], ignores: _GitIgnores) -> Iterator[Candidate]:
    resolved = root.resolve()
    stack = []
    for directory in resolved.parents:
        if (directory / ".gitignore").is_file():
            # A directory the user names is checked even when a .gitignore above it ignores it
            # (the standard library inside a pyenv checkout, say): that file is then set aside.
            if not ignores.ignored(resolved, True, [directory]):
                stack.append(directory)
        if (directory / ".git").exists():
            break  # .gitignore files above the repository do not apply to it
    stack.reverse()
    yield from _walk_directory(root, settings_for, ignores, stack)


def _walk_directory(
    directory: Path, settings_for: Callable[[Path], Settings], ignores: _GitIgnores, stack: list[Path]
) -> Iterator[Candidate]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        yield Candidate(directory, f"cannot read directory: {error.strerror or error}")
        return
    resolved = directory.resolve()
    if resolved not in stack and (resolved / ".gitignore").is_file():
        stack = [*stack, resolved]
    settings = settings_for(directory)
    for entry in entries:
        path = directory / entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if ignores.ignored(resolved / entry.name, is_dir, stack) or is_excluded(resolved / entry.name, settings, is_dir):
            continue
        if is_dir:
            yield from _walk_directory(path, settings_for, ignores, stack)
        elif entry.name.endswith(PYTHON_SUFFIXES):
            yield Candidate(path)
