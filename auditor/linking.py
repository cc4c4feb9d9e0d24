"""Project-wide analysis in a run: what a job needs to link its module with the rest of the
project, and the summaries a worker computes when an analysis asks about a module.

The parent process sends each job the project's layout and the summaries it holds valid (from
the cache); the worker answers the rest by parsing the module asked about, once per worker, and
sends back what it computed so that the parent caches it. See auditor.project for the pieces.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from auditor.config import Settings
from auditor.files import UnreadableFile, read_regular_file
from auditor.project.layout import ProjectLayout, discover_layout
from auditor.project.resolver import Compute, Record, Resolver, Summaries

EMPTY_SUMMARY: dict[str, object] = {"exports": {}, "stars": []}
MAX_MODULE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ProjectJob:
    layout: ProjectLayout
    settings_key: str
    known: dict[str, Record] = field(default_factory=dict)


def settings_key(settings: Settings) -> str:
    return hashlib.sha256(settings.fingerprint().encode()).hexdigest()[:16]


def content_key(path: Path, settings: str) -> tuple[str, bytes] | None:
    try:
        data = read_regular_file(path, MAX_MODULE_BYTES)
    except UnreadableFile:
        return None
    return f"{hashlib.sha256(data).hexdigest()[:32]}:{settings}", data


_LAYOUTS: dict[Path, ProjectLayout] = {}
# In a worker: the records computed so far, per project and settings (checked again per job).
_RECORDS: dict[tuple[Path, str], dict[str, Record]] = {}


def layout_for(root: Path) -> ProjectLayout:
    root = Path(os.path.abspath(root))
    if root not in _LAYOUTS:
        _LAYOUTS[root] = discover_layout(root)
    return _LAYOUTS[root]


def module_resolver(job: ProjectJob, path: Path, settings: Settings) -> Resolver:
    """The resolver a job's module analyses with: its package, and the summaries this worker
    holds, checked against the files once per job."""
    records = _RECORDS.setdefault((job.layout.root, job.settings_key), {})
    records.update(job.known)
    summaries = Summaries(job.layout, lambda p: content_key(p, job.settings_key), _computer(settings), records)
    named = job.layout.module_of(path)
    module, package = named if named is not None else (None, False)
    return Resolver(summaries, module, package)


def _computer(settings: Settings) -> Compute:
    def compute(path: Path, key: str, data: bytes, summaries: Summaries) -> Record:
        return Record(key, _summarise_file(path, data, summaries, settings))

    return compute


def _summarise_file(path: Path, data: bytes, summaries: Summaries, settings: Settings) -> dict[str, object]:
    """A module asked about by another: parsed here, read on its own (see summarise)."""
    from auditor.engine import decode
    from auditor.prescreen import screen

    named = summaries.layout.module_of(path)
    if named is None or b"\x00" in data:
        return EMPTY_SUMMARY
    try:
        source = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return EMPTY_SUMMARY
    if screen(source) is not None:
        return EMPTY_SUMMARY
    import libcst as cst

    try:
        module = cst.parse_module(source)
    except Exception:  # libcst raises several kinds for what it cannot parse
        return EMPTY_SUMMARY
    from auditor.project.summary import summarise
    from auditor.sdk.model import SdkModel

    try:
        model = SdkModel(module, str(path), settings.sdk, settings.retry_decorators, settings.target_sdk_version)
        summary = summarise(model, named[0], named[1], shown(summaries.layout, path), source)
    except RecursionError:
        return EMPTY_SUMMARY
    return summary


def shown(layout: ProjectLayout, path: Path) -> str:
    """A module's path as summaries name it: relative to the project root."""
    try:
        return Path(os.path.abspath(path)).relative_to(layout.root).as_posix()
    except ValueError:
        return Path(path).as_posix()
