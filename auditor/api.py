"""The layer the CLI and the tests both call: discover files, check each, gather the results.

Reading a file and testing its bytes is cheap; parsing is not. So the parent process reads
every file, applies the prefilter and the cache, and only the files that really need parsing
are analysed, in worker processes when there are enough of them to pay for the workers.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cache import ResultCache, content_digest
from auditor.config import Settings
from auditor.discovery import discover
from auditor.engine import (
    FileResult,
    analyse,
    check_bytes,
    display_path,
    finish,
    flagged_lines,
    may_call_sdk,
    parse_error_finding,
    prepare,
    read_file,
    trigger_pattern,
)
from auditor.files import UnreadableFile, read_regular_file
from auditor.findings import Finding
from auditor.notebook import Notebook, from_cells, is_notebook
from auditor.supervisor import Supervisor, WorkerLost

if TYPE_CHECKING:  # imported where used: a run that parses nothing never needs them
    from auditor.linking import ProjectJob
    from auditor.project.resolver import Summaries

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 24
FILE_TIME_LIMIT = 30.0
WORKER_RECURSION_LIMIT = 10_000


@dataclass(frozen=True)
class CheckOptions:
    force_exclude: bool = False
    use_prefilter: bool = True
    jobs: int | None = None  # None: one per CPU
    cache: ResultCache | None = None
    file_time_limit: float = FILE_TIME_LIMIT
    inventory: bool = False  # also read each file's clients and calls (`auditor inventory`)
    project: bool = True  # follow values into the other modules of the project


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    files_parsed: int = 0
    modules_summarised: int = 0  # other modules parsed for what the checked files read of them
    cache_hits: int = 0
    sources: dict[str, dict[int, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Display paths of every file checked (for baseline staleness: only these can be stale).
    checked_paths: set[str] = field(default_factory=set)


@dataclass
class _Job:
    """A file to analyse. It carries no source text: the worker reads the file again (the OS
    has it cached), so the parent never holds a whole tree's text at once. The worker also
    repeats the byte-level checks on what it read, in case the file changed in between. Only
    contents that are not on disk travel with the job (`text`, `data`)."""

    index: int
    path: Path
    shown: str
    settings: Settings
    use_prefilter: bool
    inventory: bool
    time_limit: float
    text: str | None = None  # an editor's buffer, checked instead of the file on disk
    data: bytes | None = None  # the file as a git revision had it (`--diff-base`), or a notebook's buffer
    cells: tuple[str | None, ...] | None = None  # the cells of a notebook an editor holds open
    project: ProjectJob | None = None  # the project the module is linked with
    summary_only: bool = False  # only the module's summary is wanted (another module reads it)


def check_files(paths: list[Path], settings_for: Callable[[Path], Settings], options: CheckOptions) -> list[FileResult]:
    """Check files (and the files of directories). With a cache, an unchanged file whose
    dependencies' summaries are unchanged is not parsed; a module another one reads, and that
    changed, is summarised first, so that an edit which changes nothing another module sees
    re-parses that module alone."""
    candidates = discover(paths, settings_for, options.force_exclude)
    results: list[FileResult | None] = [None] * len(candidates)
    jobs: list[_Job] = []
    pending: list[tuple[_Job, list[Finding], dict[str, object] | None, dict[str, str], str]] = []
    cache = options.cache
    linker = _Linker(cache) if options.project else None
    for index, candidate in enumerate(candidates):
        if candidate.error is not None:
            shown = display_path(candidate.path)
            results[index] = FileResult(shown, [parse_error_finding(shown, candidate.error)])
            continue
        settings = settings_for(candidate.path)
        result, data = read_file(candidate.path)
        prepared = prepare(result, data, settings, options.use_prefilter, options.project) if data is not None else None
        if prepared is None:
            results[index] = finish(result, settings)
            continue
        source, could_reference_sdk, notebook = prepared
        project = linker.job(settings) if linker is not None else None
        job = _Job(index, candidate.path, result.path, settings, options.use_prefilter, options.inventory, options.file_time_limit, project=project)
        key = cache.key(data, settings) if cache is not None and data is not None else None  # data: for mypy
        cached = cache.get(candidate.path, key, result.path, options.inventory) if cache is not None and key is not None else None
        if cached is not None and key is not None:
            findings, inventory = cached
            deps = cache.deps(candidate.path) if cache is not None else {}
            text = notebook.original if notebook else source
            if linker is None or linker.valid(settings, deps):
                if cache is not None:
                    cache.hits += 1
                result.findings, result.inventory = findings, inventory
                result.lines = flagged_lines(text, result.findings)
                results[index] = finish(result, settings)
            else:
                pending.append((job, findings, inventory, deps, text))
            continue
        jobs.append(job)
    if linker is not None:
        jobs += linker.stale_jobs(options)
    summarised: list[FileResult] = []
    for job, (result, digest) in zip(jobs, _analyse_all(jobs, options)):
        _store(cache, linker, job, result, digest)
        if job.summary_only:
            result.checked = False
            summarised.append(result)
        else:
            results[job.index] = finish(result, job.settings)
    if pending and linker is not None:
        linker.refresh()
        again = []
        for job, findings, inventory, deps, text in pending:
            if linker.valid(job.settings, deps):
                if cache is not None:
                    cache.hits += 1
                result = FileResult(job.shown, findings, inventory=inventory)
                result.lines = flagged_lines(text, findings)
                results[job.index] = finish(result, job.settings)
            else:
                again.append(replace(job, project=linker.job(job.settings, deps)))
        for job, (result, digest) in zip(again, _analyse_all(again, options)):
            _store(cache, linker, job, result, digest)
            results[job.index] = finish(result, job.settings)
    if cache is not None:
        cache.save()
    return [r for r in results if r is not None] + summarised


def _store(cache: ResultCache | None, linker: _Linker | None, job: _Job, result: FileResult, digest: str | None) -> None:
    """Cache a job's findings with the summaries they were judged with, and the summaries it
    computed of other modules on the way."""
    if linker is not None:
        linker.learn(result)
    if cache is None:
        return
    for path, record in result.computed.items():
        cache.put_summary(path, record.key, record.summary)
    if digest is not None and not result.errors and not job.summary_only:
        cache.put(job.path, cache.key_for_digest(digest, job.settings), result.findings, result.inventory, result.deps)


class _Linker:
    """The parent's side of project-wide analysis: the layout of each project, the summaries
    the cache holds (checked against the files now), and the jobs that bring stale ones up to
    date before the files that read them are judged."""

    def __init__(self, cache: ResultCache | None) -> None:
        from auditor.project.resolver import Record

        self.records = {path: Record(key, summary) for path, (key, summary) in (cache.summaries().items() if cache is not None else ())}
        self._stores: dict[tuple[Path, str], Summaries] = {}
        self._settings: dict[tuple[Path, str], Settings] = {}

    def job(self, settings: Settings, deps: dict[str, str] | None = None) -> ProjectJob:
        from auditor.linking import ProjectJob, layout_for, settings_key

        layout = layout_for(settings.root)
        store = self._store(settings)
        # The summaries the file read last time that are still valid: the worker need not parse them.
        known = {path: record for path in deps or () if (record := store.current(path)) is not None}
        return ProjectJob(layout, settings_key(settings), known)

    def valid(self, settings: Settings, deps: dict[str, str]) -> bool:
        return self._store(settings).deps_valid(deps)

    def stale_jobs(self, options: CheckOptions) -> list[_Job]:
        """Summary jobs for modules that cached results read and that changed since (named
        ones too: checking a file does not summarise it)."""
        found = []
        for where, store in self._stores.items():
            settings = self._settings[where]
            for path in sorted(store.stale):
                job = _Job(-1, Path(path), display_path(Path(path)), settings, False, False, options.file_time_limit, project=self.job(settings), summary_only=True)
                found.append(job)
        return found

    def learn(self, result: FileResult) -> None:
        self.records.update(result.computed)

    def refresh(self) -> None:
        self._stores.clear()

    def _store(self, settings: Settings) -> Summaries:
        from auditor.linking import content_key, layout_for, settings_key

        key = settings_key(settings)
        layout = layout_for(settings.root)
        store = self._stores.get((layout.root, key))
        if store is None:
            from auditor.project.resolver import Summaries

            store = Summaries(layout, lambda path: content_key(path, key), None, self.records)
            self._stores[(layout.root, key)] = store
            self._settings[(layout.root, key)] = settings
        return store


def check_contents(contents: list[tuple[Path, bytes]], settings_for: Callable[[Path], Settings], options: CheckOptions) -> list[FileResult]:
    """Check contents that are not on disk (`--diff-base`: files as the base revision had them),
    each as if it were the file at its path: the same settings, per-file ignores, prefilter and
    workers. Not cached: the cache holds each path's working-tree result."""
    results: list[FileResult] = []
    jobs: list[_Job] = []
    linker = _Linker(None) if options.project else None  # the other modules as they are on disk
    for index, (path, data) in enumerate(contents):
        settings = settings_for(path)
        result = FileResult(display_path(path))
        if prepare(result, data, settings, options.use_prefilter, options.project) is None:
            result = finish(result, settings)
        else:
            project = linker.job(settings) if linker is not None else None
            jobs.append(_Job(index, path, result.path, settings, options.use_prefilter, False, options.file_time_limit, data=data, project=project))
        results.append(result)
    for job, (analysed, _) in zip(jobs, _analyse_all(jobs, options)):
        results[job.index] = finish(analysed, job.settings)
    return results


def _analyse_all(jobs: list[_Job], options: CheckOptions) -> list[tuple[FileResult, str | None]]:
    """Every job's result, in order, each analysed in a supervised worker process."""
    if not jobs:
        return []
    workers = min(options.jobs or os.cpu_count() or 1, len(jobs))
    if len(jobs) < PARALLEL_THRESHOLD:
        workers = 1
    outcomes: list[tuple[FileResult, str | None] | None] = [None] * len(jobs)
    with analysis_supervisor(workers, options.file_time_limit) as supervisor:
        for index, outcome in supervisor.run(jobs):
            outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


def analysis_supervisor(workers: int = 1, time_limit: float = FILE_TIME_LIMIT, start_method: str | None = None) -> Supervisor[_Job, tuple[FileResult, str | None]]:
    """Workers that analyse files. With the default start method (fork where there is one),
    everything the analysis needs is imported first, so every worker and every replacement
    starts warm; a threaded caller such as the language server asks for "spawn" instead."""
    import libcst  # noqa: F401

    import auditor.rule
    import auditor.sdk.model  # noqa: F401

    auditor.rule.all_rules()
    return Supervisor(_analyse_job, _lost_job, workers, time_limit + 1.0, start_method=start_method)


def _lost_job(job: _Job, reason: WorkerLost) -> tuple[FileResult, str | None]:
    if reason.internal:  # a bug in auditor: exit 3, and the file is not reported as if it were at fault
        return FileResult(job.shown, errors=[f"the analysis of {job.shown} failed: {reason}"]), None
    return FileResult(job.shown, [parse_error_finding(job.shown, str(reason))]), None


class _TimeLimit(BaseException):
    """Not an Exception: the guards around each rule and the parser must not swallow it."""


def _analyse_job(job: _Job) -> tuple[FileResult, str | None]:
    """In a worker: read the file again (the parent keeps no text), analyse it, and return the
    digest of the bytes actually analysed, which is what the cache must key the result by."""
    # libcst walks the tree recursively (positions, metadata): a 900-term `+` chain needs more
    # than Python's default 1,000 frames. A stack overflow here costs only this worker.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), WORKER_RECURSION_LIMIT))
    result = FileResult(job.shown)
    in_editor = job.text is not None or job.cells is not None
    if in_editor:
        data = b""
    elif job.data is not None:
        data = job.data
    else:
        try:
            data = read_regular_file(job.path)
        except UnreadableFile as error:  # changed since the parent read it
            return FileResult(job.shown, [parse_error_finding(job.shown, str(error))]), None
    use_alarm = job.time_limit > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _raise_time_limit)
        signal.setitimer(signal.ITIMER_REAL, job.time_limit)
    try:
        resolver = None
        if job.project is not None:
            from auditor.linking import module_resolver

            resolver = module_resolver(job.project, Path(os.path.abspath(job.path)), job.settings)
        prepared: tuple[str, bool, Notebook | None] | None
        if resolver is not None and job.summary_only:
            resolver.summaries.current(os.path.abspath(job.path))
            result.computed = dict(resolver.summaries.computed)
            prepared = None
        elif job.cells is not None:
            prepared = _prepare_cells(job.cells, job.settings, resolver is not None)
        elif job.text is not None:
            prepared = _prepare_text(job.text, job.settings, resolver is not None)
        else:
            prepared = prepare(result, data, job.settings, job.use_prefilter, job.project is not None)
        if prepared is not None:
            source, could_reference_sdk, notebook = prepared
            analyse(result, source, could_reference_sdk, job.settings, job.inventory, notebook, resolver)
    except _TimeLimit:
        result = FileResult(job.shown, [parse_error_finding(job.shown, f"analysis stopped after {job.time_limit:g} s: the file was not checked")])
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return result, None if in_editor else content_digest(data)


def _prepare_cells(cells: tuple[str | None, ...], settings: Settings, linked: bool) -> tuple[str, bool, Notebook] | None:
    """A notebook's cells, joined here in the worker (neutralising a magic compiles it)."""
    notebook = from_cells(cells)
    prepared = _prepare_text(notebook.source, settings, linked)
    return None if prepared is None else (prepared[0], prepared[1], notebook)


def _prepare_text(text: str, settings: Settings, linked: bool) -> tuple[str, bool, None] | None:
    """A buffer is already decoded (a coding cookie in it no longer applies): only the BOM and
    the prefilter remain of the byte-level checks."""
    source = text[1:] if text.startswith("\ufeff") else text
    data = source.encode("utf-8", "surrogatepass")
    names_sdk = trigger_pattern(settings).search(data) is not None
    if not names_sdk and not (linked and may_call_sdk(data)):
        return None
    return source, names_sdk, None


def _raise_time_limit(signum: int, frame: object) -> None:
    raise _TimeLimit


def run_check(paths: list[Path], settings_for: Callable[[Path], Settings], options: CheckOptions) -> Outcome:
    return gather(check_files(paths, settings_for, options), options)


def gather(results: list[FileResult], options: CheckOptions) -> Outcome:
    """One run's outcome from its files' results."""
    outcome = Outcome()
    for result in results:
        outcome.modules_summarised += len(result.computed)
        if not result.checked:
            continue
        outcome.files_checked += 1
        outcome.checked_paths.add(result.path)
        outcome.files_parsed += result.parsed
        outcome.findings.extend(result.findings)
        outcome.errors.extend(result.errors)
        if result.lines is not None:
            outcome.sources[result.path] = result.lines
    outcome.findings.sort(key=lambda f: f.sort_key)
    if options.cache is not None:
        outcome.cache_hits = options.cache.hits
    return outcome


def check_source(source: str, settings: Settings | None = None, path: str = "example.py") -> list[Finding]:
    """Check source text as if it were a file: what rule tests and embedding tools call."""
    result = FileResult(path)
    check_bytes(result, source.encode("utf-8"), settings or Settings(), use_prefilter=True)
    if result.errors:
        raise RuntimeError("; ".join(result.errors))
    return sorted(result.findings, key=lambda f: f.sort_key)


def check_text(text: str, path: Path, settings: Settings, supervisor: Supervisor[_Job, tuple[FileResult, str | None]]) -> FileResult:
    """Check an editor's unsaved buffer as if it were the file at `path` (`auditor server`),
    in `supervisor`'s worker: a buffer that crashes the parser costs its diagnostics, not the
    server. Suppressions and per-file ignores apply as in a check. A `.ipynb` buffer is the
    notebook's JSON, read as `auditor check` reads the file."""
    project = _Linker(None).job(settings)  # the other modules as they are saved
    if is_notebook(path.name):
        job = _Job(0, path, display_path(path), settings, True, False, FILE_TIME_LIMIT, data=text.encode("utf-8", "surrogatepass"), project=project)
    else:
        job = _Job(0, path, display_path(path), settings, True, False, FILE_TIME_LIMIT, text, project=project)
    return _check_in(supervisor, job)


def check_cells(cells: Sequence[str | None], path: Path, settings: Settings, supervisor: Supervisor[_Job, tuple[FileResult, str | None]]) -> FileResult:
    """Check a notebook an editor holds open, from its cells (`notebook.from_cells`), as if it
    were the notebook at `path`; like `check_text`. Findings carry their cell."""
    job = _Job(0, path, display_path(path), settings, True, False, FILE_TIME_LIMIT, cells=tuple(cells), project=_Linker(None).job(settings))
    return _check_in(supervisor, job)


def _check_in(supervisor: Supervisor[_Job, tuple[FileResult, str | None]], job: _Job) -> FileResult:
    [(_, (result, _))] = supervisor.run([job])
    return finish(result, job.settings)
