"""The link step: answer a module's questions about the rest of the project from summaries.

`Summaries` holds one summary per module file, valid for the file's content on disk now (a
summary is read from its module alone, so nothing else can make it stale): a record whose file
changed is recomputed, or, where computing is not allowed (the parent process), reported stale.
`Resolver` is what one module's analysis sees (`External`): it maps a qualified name to the
file of the module that defines it (longest module prefix, relative names from the module's own
package), follows re-exports, references and `import *` (at most MAX_ALIASES steps, so a cycle
of re-exports ends), and records every summary it read, so that the module's cached result can
be checked against them later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.analysis.external import Entry
from auditor.project.layout import ProjectLayout, absolute_name
from auditor.project.shape import Summary

MAX_ALIASES = 8  # re-export chains longer than this are not followed


@dataclass(frozen=True)
class Record:
    """A module's summary, for one content of its file (`key`)."""

    key: str
    summary: Summary

    @property
    def digest(self) -> str:
        return summary_digest(self.summary)


def summary_digest(summary: Summary) -> str:
    text = json.dumps(summary, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# (file, the key of its content, its bytes, the store) -> a new record.
Compute = Callable[[Path, str, bytes, "Summaries"], "Record"]
# (file) -> the key of its content now, or None when it cannot be read.
ContentKey = Callable[[Path], "tuple[str, bytes] | None"]


class Summaries:
    def __init__(self, layout: ProjectLayout, content_key: ContentKey, compute: Compute | None, records: dict[str, Record] | None = None) -> None:
        self.layout = layout
        self.content_key = content_key
        self.compute = compute
        self.records: dict[str, Record] = records if records is not None else {}  # shared: a worker's memo
        self.computed: dict[str, Record] = {}  # new in this session: for the cache
        self.stale: set[str] = set()  # needed but not computable here
        self._current: dict[str, Record | None] = {}

    def current(self, path: str) -> Record | None:
        """The record of `path` valid now (checked once per session), or None."""
        if path not in self._current:
            self._current[path] = self._validate(path)
        return self._current[path]

    def digest(self, path: str) -> str:
        record = self.current(path)
        return record.digest if record is not None else ""

    def deps_valid(self, deps: dict[str, str]) -> bool:
        """Are the summaries a cached result read (file -> digest) still what they were?"""
        return all(self.digest(path) == digest for path, digest in deps.items())

    def _validate(self, path: str) -> Record | None:
        found = self.content_key(Path(path))
        if found is None:
            return None
        key, data = found
        record = self.records.get(path)
        if record is not None and record.key == key:
            return record
        if self.compute is None:
            self.stale.add(path)
            return None
        record = self.compute(Path(path), key, data, self)
        self.records[path] = record
        self.computed[path] = record
        return record


class Resolver:
    """`External` for one module: its package, the project's summaries, and what it read."""

    def __init__(self, summaries: Summaries, module: str | None, is_package: bool) -> None:
        self.summaries = summaries
        self.module = module
        self.is_package = is_package
        self.deps: dict[str, str] = {}

    def in_project(self, qualname: str) -> bool:
        return self._split(qualname) is not None

    def entry(self, qualname: str) -> Entry | None:
        absolute = absolute_name(qualname, self.module, self.is_package)
        return self._entry(absolute, 0) if absolute else None

    def _split(self, qualname: str) -> tuple[Path, str] | None:
        """(file of the longest module prefix, the rest): `app.settings.Config.MAX` ->
        (app/settings.py, "Config.MAX")."""
        absolute = absolute_name(qualname, self.module, self.is_package)
        if not absolute:
            return None
        parts = absolute.split(".")
        for end in range(len(parts) - 1, 0, -1):
            path = self.summaries.layout.find(".".join(parts[:end]))
            if path is not None:
                return path, ".".join(parts[end:])
        return None

    def _entry(self, qualname: str, depth: int) -> Entry | None:
        if self.summaries.layout.find(qualname) is not None:
            return None  # a module itself: it exports nothing under its own name
        split = self._split(qualname) if depth <= MAX_ALIASES else None
        if split is None:
            return None
        path, rest = str(split[0]), split[1]
        record = self.summaries.current(path)
        self.deps[path] = record.digest if record is not None else ""
        if record is None:
            return None
        exports: dict[str, dict[str, Any]] = record.summary["exports"]
        entry = exports.get(rest)
        if entry is None and "." in rest:  # `Config.MAX` where Config is itself re-exported
            head, tail = rest.split(".", 1)
            alias = exports.get(head)
            if alias is not None and alias["kind"] == "alias":
                return self._entry(f"{alias['target']}.{tail}", depth + 1)
        if entry is None:
            for star in record.summary["stars"]:
                found = self._entry(f"{star}.{rest}", depth + 1)
                if found is not None:
                    return found
            return None
        if entry["kind"] == "alias":
            return self._entry(entry["target"], depth + 1)
        return entry
