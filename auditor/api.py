"""The layer the CLI and the tests both call: discover files, check each, gather the results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.config import Settings
from auditor.discovery import discover
from auditor.engine import FileResult, check_file, display_path, parse_error_finding
from auditor.findings import Finding


@dataclass(frozen=True)
class CheckOptions:
    force_exclude: bool = False
    use_prefilter: bool = True


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    files_parsed: int = 0
    sources: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Display paths of every file checked (for baseline staleness: only these can be stale).
    checked_paths: set[str] = field(default_factory=set)


def check_files(
    paths: list[Path], settings_for: Callable[[Path], Settings], options: CheckOptions
) -> list[FileResult]:
    results = []
    for candidate in discover(paths, settings_for, options.force_exclude):
        if candidate.error is not None:
            shown = display_path(candidate.path)
            results.append(FileResult(shown, [parse_error_finding(shown, candidate.error)]))
            continue
        results.append(check_file(candidate.path, settings_for(candidate.path), options.use_prefilter))
    return results


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
    return outcome


def check_source(source: str, settings: Settings | None = None, path: str = "example.py") -> list[Finding]:
    """Check source text as if it were a file: what rule tests and embedding tools call."""
    from auditor.engine import check_bytes

    result = FileResult(path)
    check_bytes(result, source.encode("utf-8"), settings or Settings(), use_prefilter=True)
    if result.errors:
        raise RuntimeError("; ".join(result.errors))
    return sorted(result.findings, key=lambda f: f.sort_key)
