"""The result cache: an unchanged file is never parsed twice.

One JSON file per project (`.auditor_cache/results.json`), mapping each file to the hash of its
content, the fingerprint of the settings that checked it, and its findings. An entry is used only
when all of these and the tool version match, so editing a file, changing the configuration or
upgrading auditor each invalidate exactly what they should. A corrupt or unwritable cache is
ignored with a warning: the cache can make a run faster, never make it fail.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.config import Settings
from auditor.findings import CellLocation, Edit, Finding, Fix, Severity, Span

CACHE_DIR_NAME = ".auditor_cache"
CACHE_FILE = "results.json"


def default_cache_dir(root: Path, option: Path | None) -> Path:
    """`--cache-dir`, else `AUDITOR_CACHE_DIR`, else `.auditor_cache` in the project root."""
    if option is not None:
        return option
    env = os.environ.get("AUDITOR_CACHE_DIR")
    return Path(env) if env else root / CACHE_DIR_NAME


class ResultCache:
    def __init__(self, directory: Path, warn: Callable[[str], None]) -> None:
        self.directory = directory
        self.file = directory / CACHE_FILE
        self.warn = warn
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False
        self.hits = 0
        self._settings_keys: dict[Settings, str] = {}
        self._load()

    def _load(self) -> None:
        try:
            text = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as error:
            self.warn(f"ignoring unreadable cache {self.file}: {error.strerror or error}")
            return
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
                raise ValueError("not a cache file")
        except ValueError as error:
            self.warn(f"ignoring corrupt cache {self.file}: {error}")
            self.changed = True  # rewrite it cleanly
            return
        if data.get("version") != tool_version():
            self.changed = True  # written by another version of auditor: start afresh
            return
        self.entries = data["entries"]

    def key(self, data: bytes, settings: Settings) -> str:
        """Content hash and settings fingerprint: what an entry must match to be used."""
        return self.key_for_digest(content_digest(data), settings)

    def key_for_digest(self, digest: str, settings: Settings) -> str:
        settings_key = self._settings_keys.get(settings)
        if settings_key is None:
            settings_key = hashlib.sha256(settings.fingerprint().encode()).hexdigest()[:16]
            self._settings_keys[settings] = settings_key
        return f"{digest}:{settings_key}"

    def get(self, path: Path, key: str, shown: str, inventory: bool = False) -> tuple[list[Finding], dict[str, Any] | None] | None:
        """The cached findings (and inventory, when asked for and stored) of an unchanged file."""
        entry = self.entries.get(_entry_name(path))
        if entry is None or entry.get("key") != key or (inventory and "inventory" not in entry):
            return None
        try:
            findings = [_finding(item, shown) for item in entry["findings"]]
            rows = entry.get("inventory") if inventory else None
            if rows is not None:
                for row in (*rows["clients"], *rows["calls"]):
                    row["path"] = shown
        except (KeyError, TypeError, ValueError):
            return None
        self.hits += 1
        return findings, rows

    def put(self, path: Path, key: str, findings: list[Finding], inventory: dict[str, Any] | None = None) -> None:
        entry: dict[str, Any] = {"key": key, "findings": [_record(f) for f in findings]}
        if inventory is not None:
            entry["inventory"] = inventory
        self.entries[_entry_name(path)] = entry
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by auditor.\n*\n", encoding="utf-8")
            import tempfile

            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".results-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"version": tool_version(), "entries": self.entries}, stream, separators=(",", ":"))
            os.replace(temporary, self.file)  # atomic: a concurrent reader sees old or new, never half
        except OSError as error:
            self.warn(f"cannot write cache {self.file}: {error.strerror or error}")


@functools.lru_cache(maxsize=1)
def tool_version() -> str:
    """The release, plus a digest of the package's own files: an edited rule (a development
    install) invalidates the cache just as an upgrade does."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _entry_name(path: Path) -> str:
    return os.path.abspath(path)


def _record(finding: Finding) -> dict[str, Any]:
    span = finding.span
    record: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "span": [span.line, span.column, span.end_line, span.end_column],
        "context": finding.context,
    }
    if finding.cell is not None:
        record["cell"] = [finding.cell.number, *_span_list(finding.cell.span), *_span_list(finding.cell.file_span)]
    if finding.fix is not None:
        record["fix"] = {
            "message": finding.fix.message,
            "safe": finding.fix.safe,
            "edits": [[*_span_list(edit.span), edit.content] for edit in finding.fix.edits],
        }
    return record


def _span_list(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column]


def _finding(record: dict[str, Any], shown: str) -> Finding:
    fix = None
    if "fix" in record:
        raw = record["fix"]
        edits = tuple(Edit(Span(*edit[:4]), edit[4]) for edit in raw["edits"])
        fix = Fix(raw["message"], edits, raw["safe"])
    cell = None
    if "cell" in record:
        number, *spans = record["cell"]
        cell = CellLocation(number, Span(*spans[:4]), Span(*spans[4:]))
    return Finding(
        record["code"],
        record["name"],
        Severity(record["severity"]),
        record["message"],
        shown,
        Span(*record["span"]),
        fix,
        context=record["context"],
        cell=cell,
    )


def clean(directory: Path) -> bool:
    """Remove the cache directory; True if there was one."""
    import shutil

    if not directory.exists():
        return False
    shutil.rmtree(directory)
    return True
