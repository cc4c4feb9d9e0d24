"""The result cache: an unchanged file is never parsed twice.

One JSON file per project (`.auditor_cache/results.json`), mapping each file to the hash of its
content, the fingerprint of the settings that checked it, and its findings. An entry is used only
when all of these and the tool version match, so editing a file, changing the configuration or
upgrading auditor each invalidate exactly what they should. An unreadable or corrupt cache, or one
with any entry out of shape, is dropped whole with one warning: the cache can make a run faster,
never make it fail or report what the code does not say.

The directory is auditor's alone: it gets a `CACHEDIR.TAG` (https://bford.info/cachedir/) and a
`.gitignore` of `*` when auditor creates it. So a directory that holds the project, or files
auditor did not create, is refused (`CacheDirError`), and `auditor clean` removes only auditor's
own files.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.config import Settings, real_path
from auditor.findings import CellLocation, Edit, Finding, Fix, Severity, Span
from auditor.files import UnreadableFile, read_regular_file
from auditor.project.shape import valid_summary

CACHE_DIR_NAME = ".auditor_cache"
CACHE_FILE = "results.json"
TAG_FILE = "CACHEDIR.TAG"
IGNORE_FILE = ".gitignore"
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".results-", ".tmp"
TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by auditor.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)
IGNORE_TEXT = "# Created by auditor.\n*\n"
MAX_CACHE_BYTES = 256 * 1024 * 1024
# Lines and columns beyond this are not a real file's: a cache holding one was tampered with.
MAX_POSITION = 2**31 - 1


class CacheDirError(Exception):
    """A cache directory auditor must not write to or clean, worded for the user: exit 2."""


def default_cache_dir(root: Path, option: Path | None) -> Path:
    """`--cache-dir`, else `AUDITOR_CACHE_DIR` (unless empty), else `.auditor_cache` in the project root."""
    if option is not None:
        return option
    env = os.environ.get("AUDITOR_CACHE_DIR")
    return Path(env) if env else root / CACHE_DIR_NAME


def guard_cache_dir(directory: Path, protected: Iterable[tuple[Path, str]]) -> None:
    """Refuse a directory that holds the project, or files auditor did not create.

    `protected` pairs a path (the project root, each checked path) with how to name it. A cache
    there would get a `.gitignore` of `*`, hiding the project from git and from auditor itself.
    """
    target = real_path(directory)
    for path, label in protected:
        held = real_path(path)
        if target == held or target in held.parents:
            raise CacheDirError(
                f"refusing cache directory {directory}: it {'is' if target == held else 'contains'} {label};"
                f" the cache needs a directory of its own, such as {CACHE_DIR_NAME}"
            )
    if target.exists() and not target.is_dir():
        return  # writing the cache fails with a warning, as for any unwritable place
    if target.is_dir() and not is_auditor_cache(target) and _has_entries(target):
        raise CacheDirError(
            f"refusing cache directory {directory}: it is not an auditor cache (it holds files auditor did not create)"
        )


def is_auditor_cache(directory: Path) -> bool:
    """Made by auditor: it holds auditor's CACHEDIR.TAG, or (a cache older than the tag) a
    results.json of auditor's shape."""
    if _is_ours(directory / TAG_FILE, TAG_TEXT):
        return True
    try:
        document = json.loads(read_regular_file(directory / CACHE_FILE, MAX_CACHE_BYTES))
    except (UnreadableFile, ValueError, RecursionError):
        return False
    return (
        type(document) is dict
        and document.keys() == {"version", "entries"}
        and type(document["version"]) is str
        and type(document["entries"]) is dict
    )


def _is_ours(path: Path, text: str) -> bool:
    try:
        return read_regular_file(path, len(text) + 1) == text.encode()
    except UnreadableFile:
        return False


def _has_entries(directory: Path) -> bool:
    try:
        with os.scandir(directory) as entries:
            return next(entries, None) is not None
    except OSError:
        return False  # unlistable: writing there fails later with a warning


class ResultCache:
    def __init__(self, directory: Path, warn: Callable[[str], None]) -> None:
        self.directory = directory
        self.file = directory / CACHE_FILE
        self.warn = warn
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False
        self.hits = 0  # counted by the caller, once a result is used
        self._settings_keys: dict[Settings, str] = {}
        self._load()

    def _load(self) -> None:
        if not os.path.lexists(self.file):
            return
        try:
            data = read_regular_file(self.file, MAX_CACHE_BYTES, "cache")
        except UnreadableFile as error:
            self.warn(f"ignoring unreadable cache {self.file}: {error.reason}")
            return
        try:
            document = json.loads(data.decode("utf-8"))
            if type(document) is not dict or document.keys() != {"version", "entries"}:
                raise _Corrupt("not a cache file")
            if document["version"] != tool_version():
                self.changed = True  # written by another version of auditor: start afresh
                return
            _check_entries(document["entries"])
        except UnicodeDecodeError:
            self._discard("not UTF-8 text")
        except RecursionError:
            self._discard("nested too deeply")
        except (ValueError, _Corrupt) as error:
            self._discard(str(error))
        else:
            self.entries = document["entries"]

    def _discard(self, reason: str) -> None:
        self.warn(f"ignoring corrupt cache {self.file}: {reason}")
        self.changed = True  # rewrite it cleanly

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
        if entry is None or entry.get("key") != key or "findings" not in entry or (inventory and "inventory" not in entry):
            return None
        try:
            findings = [_finding(item, shown) for item in entry["findings"]]
            rows = entry.get("inventory") if inventory else None
            if rows is not None:
                for row in (*rows["clients"], *rows["calls"]):
                    row["path"] = shown
        except (KeyError, TypeError, ValueError):
            return None
        return findings, rows

    def put(
        self,
        path: Path,
        key: str,
        findings: list[Finding],
        inventory: dict[str, Any] | None = None,
        deps: dict[str, str] | None = None,
    ) -> None:
        """A file's findings, with the summaries its analysis read (`deps`: file -> digest):
        the findings hold only while those are unchanged. A summary stored for the same content
        is kept."""
        entry: dict[str, Any] = {"key": key, "findings": [_record(f) for f in findings]}
        if inventory is not None:
            entry["inventory"] = inventory
        previous = self.entries.get(_entry_name(path))
        if previous is not None and previous.get("key") == key and "summary" in previous:
            entry["summary"] = previous["summary"]
        if deps:
            entry["deps"] = deps
        self.entries[_entry_name(path)] = entry
        self.changed = True

    def deps(self, path: Path) -> dict[str, str]:
        return dict(self.entries.get(_entry_name(path), {}).get("deps", {}))

    def summaries(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every stored module summary: file -> (content key, summary)."""
        return {name: (e["key"], e["summary"]) for name, e in self.entries.items() if "summary" in e}

    def put_summary(self, path: str, key: str, summary: dict[str, Any]) -> None:
        """The summary of a module another module's analysis read. Findings stored for the
        same content are kept; anything stored for other content is replaced."""
        entry = self.entries.get(path)
        if entry is None or entry.get("key") != key:
            entry = {"key": key}
        elif entry.get("summary") == summary:
            return
        entry["summary"] = summary
        self.entries[path] = entry
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        temporary = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for name, text in ((TAG_FILE, TAG_TEXT), (IGNORE_FILE, IGNORE_TEXT)):
                if not os.path.lexists(self.directory / name):
                    (self.directory / name).write_text(text, encoding="utf-8")
            import tempfile

            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"version": tool_version(), "entries": self.entries}, stream, separators=(",", ":"))
            os.replace(temporary, self.file)  # atomic: a concurrent reader sees old or new, never half
        except OSError as error:
            self.warn(f"cannot write cache {self.file}: {error.strerror or error}")
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


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
    if finding.help is not None:
        record["help"] = finding.help
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
        help=record.get("help"),
    )


class _Corrupt(Exception):
    """Why a cache file cannot be trusted."""


_RECORD_KEYS = frozenset(("code", "name", "severity", "message", "span", "context"))
_OPTIONAL_RECORD_KEYS = frozenset(("fix", "cell", "help"))


def _check_entries(entries: Any) -> None:
    """Raise _Corrupt unless every entry is exactly what `put` stores: replayed findings are
    reported as if the code said so, so nothing out of shape is trusted."""
    if type(entries) is not dict:
        raise _Corrupt("not a cache file")
    rules = None
    for name, entry in entries.items():
        if type(entry) is not dict or type(entry.get("key")) is not str or type(entry.get("findings", [])) is not list:
            raise _Corrupt("an entry is not an object with a key and findings")
        if not entry.keys() <= {"key", "findings", "inventory", "summary", "deps"} or not entry.keys() & {"findings", "summary"}:
            raise _Corrupt("an entry has unknown fields")
        if entry.get("findings") and rules is None:
            from auditor.rule import all_rules

            rules = all_rules()
        for record in entry.get("findings", []):
            _check_record(record, rules or {})
        if "summary" in entry and not valid_summary(entry["summary"]):
            raise _Corrupt("a module summary is out of shape")
        deps = entry.get("deps", {})
        if type(deps) is not dict or not all(type(k) is str and type(v) is str for k, v in deps.items()):
            raise _Corrupt("an entry's dependencies are out of shape")
        if "inventory" in entry:
            from auditor.inventory import FILE_PART

            if not conforms(entry["inventory"], FILE_PART):
                raise _Corrupt("an inventory entry is out of shape")


def _check_record(record: Any, rules: dict[str, Any]) -> None:
    if type(record) is not dict or not _RECORD_KEYS <= record.keys() <= _RECORD_KEYS | _OPTIONAL_RECORD_KEYS:
        raise _Corrupt("a finding is not an object with the fields auditor writes")
    code = record["code"]
    rule = rules.get(code) if type(code) is str else None
    if rule is None:
        raise _Corrupt("a finding has an unknown rule code")
    if record["name"] != rule.name or record["severity"] != rule.severity.value:
        raise _Corrupt(f"a finding of {code} has another rule's name or severity")
    if type(record["message"]) is not str or not record["message"] or type(record["context"]) is not str:
        raise _Corrupt(f"a finding of {code} has no message or context text")
    if "help" in record and (type(record["help"]) is not str or not record["help"]):
        raise _Corrupt(f"a finding of {code} has a help that is not text")
    if not _valid_span(record["span"]):
        raise _Corrupt(f"a finding of {code} has an invalid span")
    if "fix" in record and not _valid_fix(record["fix"]):
        raise _Corrupt(f"a finding of {code} has a malformed fix")
    if "cell" in record and not _valid_cell(record["cell"]):
        raise _Corrupt(f"a finding of {code} has an invalid notebook cell")


def _valid_span(span: Any) -> bool:
    """Four positive ints in range, the end not before the start."""
    return (
        type(span) is list
        and len(span) == 4
        and all(type(value) is int and 0 < value <= MAX_POSITION for value in span)
        and (span[0], span[1]) <= (span[2], span[3])
    )


def _valid_cell(cell: Any) -> bool:
    """The cell's number, then the span in the cell and the span in the file (as `_record` writes)."""
    return type(cell) is list and len(cell) == 9 and _valid_span([cell[0], 1, cell[0], 1]) and _valid_span(cell[1:5]) and _valid_span(cell[5:])


def _valid_fix(fix: Any) -> bool:
    return (
        type(fix) is dict
        and fix.keys() == {"message", "safe", "edits"}
        and type(fix["message"]) is str
        and type(fix["safe"]) is bool
        and type(fix["edits"]) is list
        and len(fix["edits"]) > 0
        and all(type(edit) is list and len(edit) == 5 and _valid_span(edit[:4]) and type(edit[4]) is str for edit in fix["edits"])
    )


def conforms(value: Any, shape: Any) -> bool:
    """Does a loaded JSON value have `shape`? (The shape language is in auditor.inventory.)"""
    from auditor.inventory import ANY_VALUE, Record

    if shape is ANY_VALUE:
        return True
    if type(shape) is dict:
        return type(value) is dict and value.keys() == shape.keys() and all(conforms(value[k], s) for k, s in shape.items())
    if type(shape) is Record:
        return (
            type(value) is dict
            and shape.required.keys() <= value.keys()
            and all(conforms(item, shape.required[key] if key in shape.required else shape.optional.get(key, _NOTHING)) for key, item in value.items())
        )
    if type(shape) is list:
        return type(value) is list and all(conforms(item, shape[0]) for item in value)
    return any(type(value) is option if type(option) is type else conforms(value, option) for option in shape)


_NOTHING = ()  # the shape no value has: a key that is neither required nor optional


def clean(directory: Path, protected: Iterable[tuple[Path, str]]) -> str:
    """Remove auditor's own files from the cache directory, then the directory if that empties
    it; what was done, in words. Anything else in the directory is left alone."""
    guard_cache_dir(directory, protected)
    if not directory.is_dir() or not is_auditor_cache(directory):
        if directory.exists() and not directory.is_dir():
            raise CacheDirError(f"refusing cache directory {directory}: it is not a directory")
        return f"No cache at {directory}."
    with os.scandir(directory) as entries:
        ours = [entry.path for entry in entries if _is_cache_file(entry)]
    for path in ours:
        os.unlink(path)
    try:
        os.rmdir(directory)
    except OSError:
        return f"Removed the cache files from {directory}; kept the directory, which holds files auditor did not create."
    return f"Removed {directory}."


def _is_cache_file(entry: os.DirEntry[str]) -> bool:
    if entry.is_dir(follow_symlinks=False):
        return False
    name = entry.name
    if name == CACHE_FILE or (name.startswith(TEMPORARY_PREFIX) and name.endswith(TEMPORARY_SUFFIX)):
        return True
    text = {TAG_FILE: TAG_TEXT, IGNORE_FILE: IGNORE_TEXT}.get(name)
    return text is not None and _is_ours(Path(entry.path), text)
