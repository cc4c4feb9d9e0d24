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
from typing import Any

import pathspec

from auditor.config import Settings
from auditor.files import UnreadableFile, read_regular_file

GITIGNORE_LIMIT = 4 * 1024 * 1024

PYTHON_SUFFIXES = (".py", ".pyi")
# What a directory walk checks: Python files and Jupyter notebooks.
CHECKED_SUFFIXES = (*PYTHON_SUFFIXES, ".ipynb")


@dataclass(frozen=True)
class Candidate:
    """A file to check, or a path that could not be walked (`error` set).

    `real` is the path with every symlink resolved: two names for one file are checked once."""

    path: Path
    error: str | None = None
    real: str = ""


@lru_cache(maxsize=None)
def _exclude_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec[Any]:
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
        self._specs: dict[str, pathspec.PathSpec[Any] | None] = {}

    def spec_for(self, directory: str) -> pathspec.PathSpec[Any] | None:
        if directory not in self._specs:
            self._specs[directory] = _gitignore_spec(os.path.join(directory, ".gitignore"))
        return self._specs[directory]

    def ignored(self, path: str, is_dir: bool, stack: list[str]) -> bool:
        """`path` is absolute and resolved; each directory in `stack` holds a .gitignore above it."""
        for directory in stack:
            spec = self.spec_for(directory)
            if spec is None:
                continue
            relative = path[len(directory) + 1 :] + ("/" if is_dir else "")
            if spec.match_file(relative):
                return True
        return False


def _gitignore_spec(path: str) -> pathspec.PathSpec[Any] | None:
    """A .gitignore's patterns. Read as a regular file only (a FIFO named .gitignore must not
    block the walk); a pattern git would not understand is skipped, as git skips it."""
    try:
        lines = read_regular_file(path, GITIGNORE_LIMIT).decode("utf-8", errors="replace").splitlines()
    except UnreadableFile:
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # pathspec's pattern errors have no common base class across versions
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid_pattern(line)])


def _valid_pattern(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except Exception:
        return False
    return True


def discover(
    paths: list[Path],
    settings_for: Callable[[Path], Settings],
    force_exclude: bool = False,
) -> list[Candidate]:
    """Every file to check under `paths`, sorted, each real file once.

    Directory symlinks are followed once: a loop (`a/b -> ..`) or a second link to a directory
    already walked adds nothing."""
    found: dict[str, Candidate] = {}
    ignores = _GitIgnores()
    walked: set[tuple[int, int]] = set()
    for given in paths:
        if given.is_dir():
            if force_exclude and is_excluded(given, settings_for(given)):
                continue
            for candidate in _walk(given, settings_for, ignores, walked):
                _keep(found, candidate)
        elif given.exists() or given.is_symlink():
            if force_exclude and is_excluded(given, settings_for(given)):
                continue
            _keep(found, Candidate(given, real=os.path.realpath(given)))
        else:
            found.setdefault(os.path.abspath(given), Candidate(given, "no such file or directory"))
    return sorted(found.values(), key=lambda c: c.path.as_posix())


def _keep(found: dict[str, Candidate], candidate: Candidate) -> None:
    """One candidate per real file, named by its own path rather than a symlink's when both are met."""
    kept = found.get(candidate.real)
    if kept is None or (os.path.abspath(kept.path) != kept.real and os.path.abspath(candidate.path) == candidate.real):
        found[candidate.real] = candidate


def _walk(root: Path, settings_for: Callable[[Path], Settings], ignores: _GitIgnores, walked: set[tuple[int, int]]) -> Iterator[Candidate]:
    resolved = root.resolve()
    stack = []
    for directory in resolved.parents:
        if (directory / ".gitignore").is_file():
            # A directory the user names is checked even when a .gitignore above it ignores it
            # (the standard library inside a pyenv checkout, say): that file is then set aside.
            if not ignores.ignored(str(resolved), True, [str(directory)]):
                stack.append(str(directory))
        if (directory / ".git").exists():
            break  # .gitignore files above the repository do not apply to it
    stack.reverse()
    yield from _walk_directory(str(root), str(resolved), settings_for, ignores, stack, walked)


def _walk_directory(
    directory: str,
    real: str,
    settings_for: Callable[[Path], Settings],
    ignores: _GitIgnores,
    stack: list[str],
    walked: set[tuple[int, int]],
) -> Iterator[Candidate]:
    """Walk with plain strings: pathlib costs more than the whole check of a file that does
    not mention the SDK. Directories already passed the exclude test on the way down, so each
    entry is tested on its own path only."""
    try:
        identity = os.stat(real)
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        yield Candidate(Path(directory), f"cannot read directory: {error.strerror or error}")
        return
    if (identity.st_dev, identity.st_ino) in walked:
        return
    walked.add((identity.st_dev, identity.st_ino))
    if real not in stack and os.path.isfile(os.path.join(real, ".gitignore")):
        stack = [*stack, real]
    settings = settings_for(Path(directory))
    spec = _exclude_spec((*settings.exclude, *settings.extend_exclude))
    root = str(settings.root) + os.sep
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        absolute = real + os.sep + entry.name
        relative = absolute[len(root) :] if absolute.startswith(root) else entry.name
        if spec.match_file(relative + "/" if is_dir else relative) or ignores.ignored(absolute, is_dir, stack):
            continue
        path = os.path.join(directory, entry.name)
        if entry.is_symlink():
            absolute = os.path.realpath(absolute)
        if is_dir:
            yield from _walk_directory(path, absolute, settings_for, ignores, stack, walked)
        elif entry.name.endswith(CHECKED_SUFFIXES):
            yield Candidate(Path(path), real=absolute)
