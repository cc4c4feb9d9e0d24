"""Baselines: adopt auditor on legacy code by recording today's findings and hiding only those.

`auditor check --write-baseline FILE` records every finding; `auditor check --baseline FILE`
then reports only findings the file does not account for. The file is JSON, written sorted and
indented so that it diffs well in review:

    {
      "version": 1,
      "tool": "auditor",
      "findings": [
        {"fingerprint": "<32 hex>", "code": "ANT401", "path": "app/x.py", "count": 2, "message": "..."}
      ]
    }

Matching uses the line-independent fingerprint (see `auditor.fingerprint`) *with counts*: an
entry with `count` 2 hides at most two findings with that fingerprint. So inserting lines above a
baselined finding keeps it hidden, but repeating the same mistake in the same function is new
and gets reported. `path` and `message` are for people reading the file; only `fingerprint`
and `count` are used for matching (`path` and `code` also say which entries can be stale).

A baseline only shrinks: `--prune-baseline` keeps what still matches, never adding. `--diff-base`
matches a branch's findings against its merge base's with this same matching (`auditor.diff_base`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.findings import Finding, printable_path
from auditor.fingerprint import fingerprint
from auditor.files import UnreadableFile, file_kind, read_regular_file

VERSION = 1
TOOL = "auditor"
# Far beyond any real baseline (about 250 bytes an entry); a larger file is refused, not read.
MAX_BASELINE_BYTES = 64 * 1024 * 1024


class BaselineError(Exception):
    """A baseline file that cannot be read, parsed or written: a message for the user, naming the file."""


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    code: str
    path: str  # relative to the project root, forward slashes
    count: int
    message: str = ""


@dataclass(frozen=True)
class BaselineMatch:
    """The outcome of matching findings against a baseline."""

    reported: list[Finding]
    hidden: int
    # fingerprint -> how much of that entry's count matched nothing
    unmatched: dict[str, int]


@dataclass(frozen=True)
class Baseline:
    """The entries of a baseline file, keyed by fingerprint."""

    entries: dict[str, BaselineEntry]
    source: Path | None = None

    @classmethod
    def from_findings(cls, findings: list[Finding], root: Path) -> Baseline:
        """One entry per fingerprint, counting the findings that share it (the first one names it)."""
        counts: Counter[str] = Counter()
        first: dict[str, Finding] = {}
        for finding in sorted(findings, key=lambda f: f.sort_key):
            key = fingerprint(finding, root)
            counts[key] += 1
            first.setdefault(key, finding)
        return cls(
            {
                key: BaselineEntry(key, finding.code, _relative(finding.path, root), counts[key], finding.message)
                for key, finding in first.items()
            }
        )

    def match(self, findings: list[Finding], root: Path) -> BaselineMatch:
        """Hide the findings the entries account for; report the rest.

        Each entry hides up to `count` findings with its fingerprint, taken in source order
        (path, line, column): the *earliest* ones are hidden and any surplus, the last in
        source order, is reported. Fingerprints carry no line, so which of several identical
        findings is "the new one" cannot be known; reporting the later ones is the usual guess
        (code is more often appended than prepended) and is at least deterministic.
        """
        remaining = {key: entry.count for key, entry in self.entries.items()}
        reported: list[Finding] = []
        hidden = 0
        for finding in sorted(findings, key=lambda f: f.sort_key):
            key = fingerprint(finding, root)
            if remaining.get(key, 0) > 0:
                remaining[key] -= 1
                hidden += 1
            else:
                reported.append(finding)
        return BaselineMatch(reported, hidden, {key: left for key, left in remaining.items() if left > 0})

    def stale(self, match: BaselineMatch, root: Path, checked_paths: set[str]) -> list[str]:
        """The entries that matched fewer findings than their count, as one-line strings.

        An entry is listed only if its file was among `checked_paths` (paths relative to the
        working directory, as in Finding.path), so that checking part of a project does not call
        the rest stale.
        """
        checked = _checked(root, checked_paths)
        return [
            f"{entry.path}: {entry.code} ({match.unmatched[entry.fingerprint]} of {entry.count} no longer found)"
            for entry in sorted(self.entries.values(), key=_entry_order)
            if entry.fingerprint in match.unmatched and entry.path in checked
        ]

    def pruned(self, match: BaselineMatch, root: Path, checked_paths: set[str]) -> Baseline:
        """The baseline cut down to what still matches: each entry of a checked file keeps the
        count it matched (none: the entry goes); entries of files not checked stay as they are.
        Pruning never adds an entry or raises a count."""
        checked = _checked(root, checked_paths)
        kept: dict[str, BaselineEntry] = {}
        for key, entry in self.entries.items():
            count = entry.count - match.unmatched.get(key, 0) if entry.path in checked else entry.count
            if count > 0:
                kept[key] = dataclasses.replace(entry, count=count)
        return Baseline(kept, self.source)

    def filter(
        self, findings: list[Finding], root: Path, checked_paths: set[str]
    ) -> tuple[list[Finding], int, list[str]]:
        """(reported findings, number hidden, stale entries): `match` and `stale` in one call."""
        match = self.match(findings, root)
        return match.reported, match.hidden, self.stale(match, root, checked_paths)


def _checked(root: Path, checked_paths: set[str]) -> set[str]:
    return {_relative(path, root) for path in checked_paths}


def _relative(path: str, root: Path) -> str:
    from auditor.renderers.json_format import relative_path

    return printable_path(relative_path(path, root))


def _entry_order(entry: BaselineEntry) -> tuple[str, str, str]:
    return (entry.path, entry.code, entry.fingerprint)


def write_baseline(path: Path, findings: list[Finding], root: Path) -> None:
    """Record `findings` in `path`: one entry per fingerprint (see `save_baseline`)."""
    save_baseline(path, Baseline.from_findings(findings, root))


def save_baseline(path: Path, baseline: Baseline) -> None:
    """Write `baseline` to `path`, entries sorted, so that reruns diff cleanly.

    Written to a temporary file and renamed into place, so an interrupted run never leaves a
    half-written baseline behind.
    """
    document = {
        "version": VERSION,
        "tool": TOOL,
        "findings": [
            {"fingerprint": e.fingerprint, "code": e.code, "path": e.path, "count": e.count, "message": e.message}
            for e in sorted(baseline.entries.values(), key=_entry_order)
        ],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    kind = _kind_if_not_regular(path)
    if kind is not None:  # replacing a FIFO, a device or a directory would destroy what auditor did not make
        raise BaselineError(f"cannot write baseline {path}: not a regular file ({kind})")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Opened by name rather than with mkstemp so that the file gets the umask's usual mode.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise BaselineError(f"cannot write baseline {path}: {error.strerror or error}") from None


def _kind_if_not_regular(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # nothing there yet (or unreachable: writing it says why)
    return None if stat.S_ISREG(mode) else file_kind(mode)


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; every problem becomes a BaselineError naming it."""
    try:
        text = read_regular_file(path, MAX_BASELINE_BYTES, "baseline").decode("utf-8")
    except UnreadableFile as error:
        raise BaselineError(f"cannot read baseline {path}: {error.reason}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"baseline {path} is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"baseline {path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise BaselineError(f"baseline {path} is not an auditor baseline: it is nested too deeply") from None
    except ValueError:  # an integer of thousands of digits: json refuses to convert it
        raise BaselineError(f"baseline {path} is not an auditor baseline: it holds a number too long to read") from None
    return Baseline(_parse(document, path), path)


def _parse(document: Any, path: Path) -> dict[str, BaselineEntry]:
    def bad(detail: str) -> BaselineError:
        return BaselineError(f"baseline {path} is not an auditor baseline: {detail}")

    if not isinstance(document, dict):
        raise bad("expected a JSON object at the top level")
    if document.get("tool", TOOL) != TOOL:
        raise bad(f"it was written by {document.get('tool')!r}")
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise BaselineError(
            f"baseline {path} has version {json.dumps(version)}; this auditor reads version {VERSION}"
            " (rewrite it with --write-baseline)"
        )
    items = document.get("findings")
    if not isinstance(items, list):
        raise bad('"findings" must be a list')
    entries: dict[str, BaselineEntry] = {}
    for index, item in enumerate(items):
        where = f"findings[{index}]"
        if not isinstance(item, dict):
            raise bad(f"{where} must be an object")
        for key in ("fingerprint", "code", "path"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise bad(f"{where}.{key} must be a non-empty string")
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise bad(f"{where}.count must be a positive integer")
        message = item.get("message", "")
        key = item["fingerprint"]
        if key in entries:  # a hand-merged file may repeat an entry: the counts add up
            count += entries[key].count
        entries[key] = BaselineEntry(key, item["code"], item["path"], count, message if isinstance(message, str) else "")
    return entries
