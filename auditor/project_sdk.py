"""Which `anthropic` version a checked project uses, read from its own files at its root.

The first of these that names the SDK decides, in this order: a lock file (`uv.lock`,
`poetry.lock`, `pdm.lock`, `Pipfile.lock`: the version locked), then `pyproject.toml`'s
declarations (`[project] dependencies` and `optional-dependencies`, `[dependency-groups]`,
Poetry's dependencies and groups, PDM's and uv's dev dependencies), then `requirements*.txt`
(in name order). A declaration gives the lowest version its specifier allows: `==0.40.0`,
`>=0.40`, `~=0.40.0`, Poetry's `^0.40` and a bare `0.40.0` all give 0.40.0, `>0.40.0` gives
0.40.1; `<`, `<=` and `!=` set no lower bound, and a declaration without one (`anthropic`,
`anthropic<1`, a URL) says nothing. Within one file the lowest version wins. A file that cannot
be read or parsed is skipped: checking lock files is not auditor's job.

Only a few small files at the root are read, once per root and run (see config.ConfigResolver).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.files import UnreadableFile, read_regular_file
from auditor.sdk.table import OLDEST_VERSION, Version
from auditor.sdk.versions import parse_version, show_version

PACKAGE = "anthropic"
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")
# Lock files of large projects run to megabytes; anything far beyond is not a lock file to read.
MAX_BYTES = 32 * 1024 * 1024
# The requirement as written, shown as the source of the version: cut beyond this many characters.
MAX_SHOWN = 80

# uv, Poetry and PDM all write `name = "..."` and then `version = "..."` in a [[package]] table.
_LOCKED = re.compile(rb'^name = "anthropic"\r?\nversion = "([^"\r\n]+)"', re.MULTILINE)
_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)")
_CLAUSE = re.compile(r"(===|==|~=|>=|<=|!=|>|<|\^|~|=)?\s*v?([0-9][0-9A-Za-z.*+!_-]*|\*)")


@dataclass(frozen=True)
class Pin:
    """The version a project's file gives (written in full, and never older than the oldest
    auditor knows), the file, and what in it gave the version."""

    version: str
    path: Path
    detail: str


def find_pin(root: Path) -> Pin | None:
    """The version of `anthropic` the project at `root` uses, by the rule above; None if no file says."""
    for name in LOCK_FILES:
        found = _lowest(root / name, _locked(root / name))
        if found is not None:
            return found
    pyproject = root / "pyproject.toml"
    found = _lowest(pyproject, _declared(pyproject))
    if found is not None:
        return found
    for path in sorted(root.glob("requirements*.txt")):
        found = _lowest(path, _required(path))
        if found is not None:
            return found
    return None


def lowest_allowed(specifier: str) -> Version | None:
    """The lowest version a specifier allows (PEP 440's, or Poetry's with `^`, `~`, `||` and a
    bare version), or None when it sets no lower bound."""
    lowest: Version | None = None
    for alternative in specifier.split("||"):
        bound = _alternative_bound(alternative)
        if bound is None:
            return None  # this alternative allows anything below the others
        lowest = bound if lowest is None else min(lowest, bound)
    return lowest


def _alternative_bound(alternative: str) -> Version | None:
    bound: Version | None = None
    for clause in alternative.replace("(", " ").replace(")", " ").split(","):
        match = _CLAUSE.fullmatch(clause.strip())
        if match is None or match.group(2) == "*":
            continue
        operator, text = match.group(1) or "==", match.group(2)
        version = parse_version(text)
        if version is None or operator in ("<", "<=", "!="):
            continue
        if operator == ">":
            version = (version[0], version[1], version[2] + 1)
        bound = version if bound is None else max(bound, version)
    return bound


def requirement_bound(requirement: str) -> Version | None:
    """The lowest version of `anthropic` a PEP 508 requirement allows; None for another package
    or one without a lower bound."""
    match = _REQUIREMENT.match(requirement.split(";", 1)[0])
    if match is None or re.sub(r"[-_.]+", "-", match.group(1)).lower() != PACKAGE:
        return None
    rest = match.group(2).strip()
    return None if rest.startswith("@") else lowest_allowed(rest)


# ---------------------------------------------------------------------------------------------
# Each kind of file: (version, what gave it) for every mention of the SDK.


def _lowest(path: Path, found: Iterable[tuple[Version, str]]) -> Pin | None:
    try:
        version, detail = min(found, default=(None, ""))
    except (UnreadableFile, ValueError, RecursionError):  # unreadable, not TOML, not JSON
        return None
    if version is None:
        return None
    shown = " ".join(detail.split())
    shown = shown if len(shown) <= MAX_SHOWN else shown[: MAX_SHOWN - 1] + "…"
    if version < OLDEST_VERSION:
        shown += f", older than {show_version(OLDEST_VERSION)}, the oldest auditor knows"
    return Pin(show_version(max(version, OLDEST_VERSION)), path, shown)


def _read(path: Path) -> bytes | None:
    if not path.is_file():
        return None
    data = read_regular_file(path, MAX_BYTES, path.name)
    return data if PACKAGE.encode() in data.lower() else None


def _locked(path: Path) -> Iterator[tuple[Version, str]]:
    data = _read(path)
    if data is None:
        return
    if path.name == "Pipfile.lock":
        document = json.loads(data)
        for section in ("default", "develop"):
            entry = document.get(section, {}).get(PACKAGE) if isinstance(document, dict) else None
            if isinstance(entry, dict) and isinstance(entry.get("version"), str):
                yield from _bounded(lowest_allowed(entry["version"]), f"{PACKAGE} {entry['version']}")
        return
    for match in _LOCKED.finditer(data):
        text = match.group(1).decode("utf-8", "replace")
        yield from _bounded(parse_version(text), f"{PACKAGE} {text}")


def _declared(path: Path) -> Iterator[tuple[Version, str]]:
    data = _read(path)
    if data is None:
        return
    document = tomllib.loads(data.decode("utf-8"))
    project = _table(document, "project")
    lists = [project.get("dependencies"), *_table(project, "optional-dependencies").values()]
    lists += _table(document, "dependency-groups").values()
    tool = _table(document, "tool")
    lists += _table(_table(tool, "pdm"), "dev-dependencies").values()
    lists.append(_table(tool, "uv").get("dev-dependencies"))
    for entries in lists:
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, str):
                yield from _bounded(requirement_bound(entry), entry)
    poetry = _table(tool, "poetry")
    tables = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    tables += [_table(group, "dependencies") for group in _table(poetry, "group").values() if isinstance(group, dict)]
    for dependencies in tables:
        for name, constraint in dependencies.items():
            if name.lower() == PACKAGE:
                for text in _poetry_constraints(constraint):
                    yield from _bounded(lowest_allowed(text), f'{name} = "{text}"')


def _required(path: Path) -> Iterator[tuple[Version, str]]:
    data = _read(path)
    if data is None:
        return
    text = data.decode("utf-8", "replace").replace("\\\r\n", " ").replace("\\\n", " ")
    for line in text.splitlines():
        line = re.split(r"(?:^|\s)#", line, maxsplit=1)[0]
        line = re.split(r"\s-", line, maxsplit=1)[0].strip()  # `--hash=...` and other options
        if line and not line.startswith("-"):
            yield from _bounded(requirement_bound(line), line)


def _bounded(version: Version | None, detail: str) -> Iterator[tuple[Version, str]]:
    if version is not None:
        yield version, detail


def _table(document: Any, key: str) -> dict[str, Any]:
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, dict) else {}


def _poetry_constraints(constraint: Any) -> list[str]:
    """`"^0.40"`, `{version = "^0.40", extras = [...]}`, or a list of such tables."""
    items = constraint if isinstance(constraint, list) else [constraint]
    found = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("version")
        if isinstance(item, str):
            found.append(item)
    return found
