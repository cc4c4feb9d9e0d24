"""The layer the CLI and the tests both call: discover files, check each, gather the results.

Reading a file and testing its bytes is cheap; parsing is not. So the parent process reads
every file, applies the prefilter and the cache, and only the files that really need parsing
are analysed, in worker processes when there are enough of them to pay for the workers.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.cache import ResultCache
from auditor.config import Settings
from auditor.discovery import discover
from auditor.engine import FileResult, analyse, check_bytes, decode, display_path, finish, flagged_lines, parse_error_finding, prepare, read_file, trigger_pattern
from auditor.findings import Finding

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 24
FILE_TIME_LIMIT = 30.0


@dataclass(frozen=True)
class CheckOptions:
    force_exclude: bool = False
    use_prefilter: bool = True
    jobs: int | None = None  # None: one per CPU
    cache: ResultCache | None = None
    file_time_limit: float = FILE_TIME_LIMIT
    inventory: bool = False  # also read each file's clients and calls (`auditor inventory`)


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    files_parsed: int = 0
    cache_hits: int = 0
    sources: dict[str, dict[int, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Display paths of every file checked (for baseline staleness: only these can be stale).
    checked_paths: set[str] = field(default_factory=set)


@dataclass
class _Job:
    """A file to analyse. It carries no source text: the worker reads the file again (the OS
    has it cached), so the parent never holds a whole tree's text at once."""

    index: int
    path: Path
    shown: str
    could_reference_sdk: bool
    settings: Settings
    key: str | None
    inventory: bool = False


def check_files(paths: list[Path], settings_for: Callable[[Path], Settings], options: CheckOptions) -> list[FileResult]:
    candidates = discover(paths, settings_for, options.force_exclude)
    results: list[FileResult | None] = [None] * len(candidates)
    jobs: list[_Job] = []
    cache = options.cache
    for index, candidate in enumerate(candidates):
        if candidate.error is not None:
            shown = display_path(candidate.path)
            results[index] = FileResult(shown, [parse_error_finding(shown, candidate.error)])
            continue
        settings = settings_for(candidate.path)
        result, data = read_file(candidate.path)
        prepared = prepare(result, data, settings, options.use_prefilter) if data is not None else None
        if prepared is None:
            results[index] = finish(result, settings)
            continue
        source, could_reference_sdk = prepared
        key = cache.key(data, settings) if cache is not None and data is not None else None  # data: for mypy
        cached = cache.get(candidate.path, key, result.path, options.inventory) if cache is not None and key is not None else None
        if cached is not None:
            result.findings, result.inventory = cached
            result.lines = flagged_lines(source, result.findings)
            results[index] = finish(result, settings)
            continue
        jobs.append(_Job(index, candidate.path, result.path, could_reference_sdk, settings, key, options.inventory))
    for job, result in zip(jobs, _analyse_all(jobs, options)):
        if cache is not None and job.key is not None and not result.errors:
            cache.put(job.path, job.key, result.findings, result.inventory)
        results[job.index] = finish(result, job.settings)
    if cache is not None:
        cache.save()
    return [r for r in results if r is not None]


def _analyse_all(jobs: list[_Job], options: CheckOptions) -> list[FileResult]:
    workers = min(options.jobs or os.cpu_count() or 1, len(jobs))
    if workers < 2 or len(jobs) < PARALLEL_THRESHOLD:
        return [_analyse_job(job, options.file_time_limit) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import libcst  # noqa: F401  imported before forking, so each worker inherits it

    import auditor.rule
    import auditor.sdk  # noqa: F401

    auditor.rule.all_rules()
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    chunk = max(1, len(jobs) // (workers * 8))
    limit = options.file_time_limit
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_analyse_job, jobs, [limit] * len(jobs), chunksize=chunk))


class _TimeLimit(BaseException):
    """Not an Exception: the guards around each rule and the parser must not swallow it."""


def _analyse_job(job: _Job, limit: float) -> FileResult:
    """Analyse one file; a file that takes longer than `limit` is reported, not waited for."""
    result = FileResult(job.shown)
    use_alarm = limit > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _raise_time_limit)
        signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        try:
            source = decode(job.path.read_bytes())
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as error:  # changed since it was read
            return FileResult(job.shown, [parse_error_finding(job.shown, f"cannot read file: {error}")])
        analyse(result, source, job.could_reference_sdk, job.settings, job.inventory)
    except _TimeLimit:
        result = FileResult(job.shown, [parse_error_finding(job.shown, f"analysis stopped after {limit:g} s: the file was not checked")])
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return result


def _raise_time_limit(signum: int, frame: object) -> None:
    raise _TimeLimit


def run_check(paths: list[Path], settings_for: Callable[[Path], Settings], options: CheckOptions) -> Outcome:
    outcome = Outcome()
    for result in check_files(paths, settings_for, options):
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


def check_text(text: str, path: Path, settings: Settings) -> FileResult:
    """Check an editor's unsaved buffer as if it were the file at `path` (`auditor server`).

    The text is already decoded (a coding cookie in it no longer applies), so it skips the
    byte-level checks; the prefilter, suppressions and per-file ignores apply as in a check."""
    result = FileResult(display_path(path))
    source = text[1:] if text.startswith("\ufeff") else text
    if trigger_pattern(settings).search(source.encode("utf-8", "surrogatepass")):
        analyse(result, source, True, settings)
    return finish(result, settings)
