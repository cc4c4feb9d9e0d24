"""The command line: `auditor check`, `auditor rule`, `auditor config`, `auditor live-check`.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error, 3 internal error.
Nothing heavy is imported here: libcst only when a file needs parsing, anthropic only by
live-check, pygls only by server.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from auditor import __version__
from auditor.config import FAIL_ON, OUTPUT_FORMATS, ConfigError, ConfigResolver, RuleSelection, Settings, project_root
from auditor.findings import printable_path
from auditor.terminal import text_width, use_color

if TYPE_CHECKING:
    from auditor.api import Outcome
    from auditor.baseline import Baseline
    from auditor.cache import ResultCache
    from auditor.findings import Finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class _Interrupted(BaseException):
    """Ctrl-C, raised instead of KeyboardInterrupt so that click does not print its own line."""


def _interrupt(signum: int, frame: object) -> None:
    raise _Interrupted


def entry() -> None:
    """The `auditor` command: click's own handling, except that a crash exits 3 with one line
    (an uncaught exception would exit 1, which reads as "findings") and Ctrl-C exits 130."""
    import signal

    signal.signal(signal.SIGINT, _interrupt)
    try:
        main.main(prog_name="auditor", standalone_mode=False)
    except (_Interrupted, KeyboardInterrupt, click.exceptions.Abort):
        click.echo("auditor: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # a bug in auditor: say where, never pretend it is a finding
        click.echo(f"auditor: internal error: {_crash_report(error)}", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_CLEAN)


def _crash_report(error: Exception) -> str:
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if f"{os.sep}auditor{os.sep}" in frame.filename] or frames
    where = f" (at {Path(ours[-1].filename).name}:{ours[-1].lineno})" if ours else ""
    detail = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {detail}{where}; please report this"


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"auditor: error: {printable_path(message)}", err=True)
    sys.exit(code)


def _warn(message: str) -> None:
    click.echo(f"auditor: warning: {printable_path(message)}", err=True)


def _selectors(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select ANT4,ANT101 --select ANT2` -> ("ANT4", "ANT101", "ANT2")."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _check_selectors(option: str, selectors: tuple[str, ...]) -> None:
    from auditor.rule import is_known_selector

    for selector in selectors:
        if not is_known_selector(selector):
            _fail(f"{option}: unknown rule code or name {selector!r} (see `auditor rule --all`)")


def _resolver(config: Path | None, root: Path | None = None) -> ConfigResolver:
    from auditor.rule import is_known_selector

    try:
        return ConfigResolver(config, is_known_selector, root)
    except ConfigError as error:
        _fail(str(error))


class _Commands(click.Group):
    """`live-check` is imported only when it runs (or help lists it): `auditor check` in a
    pre-commit hook should not pay for it."""

    LAZY = {"live-check": "auditor.live:live_check"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            import importlib

            module, attribute = self.LAZY[name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="auditor")
def main() -> None:
    """A reliability linter and auditor for Python code that calls the Anthropic SDK."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, metavar="CODES", help="Rules to enable (codes, prefixes such as ANT4, names, or ALL), replacing the configuration's selection and ignores.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to disable, on top of the configuration (a more specific selector still wins).")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Rules to enable on top of the configuration, even where it ignores them.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), metavar="FILE", help="Use this configuration file for every path.")
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS), envvar="AUDITOR_OUTPUT_FORMAT", help="Output format (default: full; env AUDITOR_OUTPUT_FORMAT).")
@click.option("--output-file", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file instead of standard output.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), help="Exit 1 only for findings of this severity or worse (default: warning, from the configuration's fail-on).")
@click.option("--statistics", is_flag=True, help="Show a count per rule instead of the findings (formats full, concise, json, json-lines, markdown).")
@click.option("--force-exclude", is_flag=True, help="Apply exclusions to paths given on the command line too (for pre-commit).")
@click.option("--no-prefilter", is_flag=True, hidden=True, help="Parse every file, even those that cannot reference the SDK.")
@click.option("--write-baseline", type=click.Path(path_type=Path), metavar="FILE", help="Record today's findings in FILE and exit 0.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path), metavar="FILE", help="Report only findings not recorded in this baseline FILE.")
@click.option("--report-stale-baseline", is_flag=True, help="With --baseline: list baseline entries that no longer match anything.")
@click.option("--fail-on-stale-baseline", is_flag=True, help="With --baseline: list stale entries and exit 1 if there are any.")
@click.option("--prune-baseline", is_flag=True, help="With --baseline: rewrite the baseline keeping only the entries that still match (never adding any).")
@click.option("--report-unused-ignores", is_flag=True, help="Report suppression comments that silence nothing (ANT001).")
@click.option("--diff-base", metavar="REF", help="Report only findings that the merge base of REF and HEAD does not have.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N", help="Worker processes (default: one per CPU; used only when there is enough work).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Cache directory (default: .auditor_cache in the project root; env AUDITOR_CACHE_DIR).")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only: no summary line.")
@click.option("--verbose", "-v", is_flag=True, help="Also say on standard error how many files were parsed, and how many came from the cache.")
@click.option("--fix/--no-fix", default=None, help="Apply safe fixes, then report what is left (default: `fix` in the configuration).")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=None, help="Also apply unsafe fixes (default: `unsafe-fixes` in the configuration).")
@click.option("--diff", "show_diff", is_flag=True, help="Print what the fixes would change as a unified diff; write nothing. Exit 1 if there is a diff.")
@click.option("--fix-only", is_flag=True, help="Apply fixes and report nothing else; exit 0 unless a fix failed.")
@click.option("--color", "color_choice", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True, help="Colour the terminal formats: auto (when standard output is a terminal, unless FORCE_COLOR or NO_COLOR says otherwise), always, never.")
@click.option("--show-files", is_flag=True, help="List the files that would be checked (after excludes), one per line, and exit.")
@click.option("--show-settings", is_flag=True, help="Print the settings for the first file that would be checked, with the rules in force, and exit.")
@click.option("--stdin-filename", type=click.Path(path_type=Path, dir_okay=False), help="Check standard input (`-`) as if it were this file: its configuration, per-file ignores, excludes under --force-exclude, and the path shown.")
def check(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    config_file: Path | None,
    output_format: str | None,
    output_file: Path | None,
    exit_zero: bool,
    fail_on: str | None,
    statistics: bool,
    force_exclude: bool,
    no_prefilter: bool,
    write_baseline: Path | None,
    baseline_file: Path | None,
    report_stale_baseline: bool,
    fail_on_stale_baseline: bool,
    prune_baseline: bool,
    report_unused_ignores: bool,
    diff_base: str | None,
    jobs: int | None,
    no_cache: bool,
    cache_dir: Path | None,
    quiet: bool,
    verbose: bool,
    fix: bool | None,
    unsafe_fixes: bool | None,
    show_diff: bool,
    fix_only: bool,
    stdin_filename: Path | None,
    color_choice: str,
    show_files: bool,
    show_settings: bool,
) -> None:
    """Check PATHS (default: the current directory; `-`: standard input) for reliability mistakes around SDK calls."""
    from auditor.api import CheckOptions, check_contents, gather, run_check
    from auditor.renderers import RunResult, get_renderer
    from auditor.renderers.statistics import FORMATS as STATISTICS_FORMATS, render_statistics, statistics as count
    from auditor.renderers.text import summary_line

    for flag, name in ((report_stale_baseline, "--report-stale-baseline"), (fail_on_stale_baseline, "--fail-on-stale-baseline"), (prune_baseline, "--prune-baseline")):
        if flag and baseline_file is None:
            _fail(f"{name} needs --baseline FILE")
    if write_baseline is not None and (baseline_file is not None or diff_base is not None):
        _fail("--write-baseline records every finding: it cannot be combined with --baseline or --diff-base")
    if write_baseline is not None and (fix or show_diff or fix_only):
        _fail("--write-baseline records every finding: it cannot be combined with --fix, --fix-only or --diff")
    cli_select, cli_ignore, cli_extend = _selectors(select), _selectors(ignore), _selectors(extend_select)
    for option, values in (("--select", cli_select), ("--ignore", cli_ignore), ("--extend-select", cli_extend)):
        _check_selectors(option, values)
    stdin_path = _stdin_path(paths, stdin_filename)
    if stdin_path is not None:
        on_disk = {"--fix": fix, "--diff": show_diff, "--fix-only": fix_only, "--write-baseline": write_baseline, "--prune-baseline": prune_baseline, "--diff-base": diff_base}
        for name, given in on_disk.items():
            if given:
                _fail(f"{name} works on files: it cannot be combined with standard input (`-`)")
    targets = [stdin_path] if stdin_path is not None else list(paths) or [Path(".")]
    root = project_root(targets, config_file)
    resolver = _resolver(config_file, root)

    with_cli: dict[int, Settings] = {}

    def settings_for(path: Path) -> Settings:
        settings = resolver.for_path(path)
        if id(settings) not in with_cli:  # the resolver keeps each file's settings alive
            with_cli[id(settings)] = dataclasses.replace(
                settings,
                command_line=RuleSelection(cli_select or None, cli_extend, cli_ignore),
                report_unused_ignores=settings.report_unused_ignores or report_unused_ignores,
                sources=settings.sources + ((("report-unused-ignores", "command line"),) if report_unused_ignores else ()),
            )
        return with_cli[id(settings)]

    try:
        top = settings_for(root)
        fmt = output_format or top.output_format
        if statistics and fmt not in STATISTICS_FORMATS:
            _fail(f"--statistics counts findings per rule: it has no {fmt} form (use one of {', '.join(STATISTICS_FORMATS)})")
        if show_files or show_settings:
            _show_files_or_settings(targets, stdin_path, settings_for, force_exclude, show_settings)
        cache = None if no_cache or stdin_path is not None else _open_cache(root, cache_dir, paths)
        options = CheckOptions(force_exclude=force_exclude, use_prefilter=not no_prefilter, jobs=jobs, cache=cache)
        if stdin_path is not None:
            outcome = gather(check_contents(_read_stdin(stdin_path, settings_for, force_exclude), settings_for, options), options)
        else:
            outcome = run_check(targets, settings_for, options)
    except ConfigError as error:
        _fail(str(error))

    def new_since_base(current: list[Finding], baseline: Baseline | None) -> list[Finding]:
        """`--diff-base`: the findings the merge base does not have (see auditor.diff_base)."""
        from auditor.api import check_contents
        from auditor.diff_base import DiffError, new_findings

        assert diff_base is not None

        def base_findings(contents: list[tuple[Path, bytes]]) -> list[list[Finding]]:
            results = check_contents(contents, settings_for, options)
            outcome.errors.extend(f"{error} (its version at the merge base)" for r in results for error in r.errors)
            return [result.findings for result in results]

        try:
            return new_findings(diff_base, current, outcome.checked_paths, root, base_findings, baseline)
        except DiffError as error:
            _fail(str(error))

    unsafe = top.unsafe_fixes if unsafe_fixes is None else unsafe_fixes
    fixing = show_diff or fix_only or (write_baseline is None and stdin_path is None and (top.fix if fix is None else fix))
    fixed = 0
    if fixing:
        baseline_now = _baseline(baseline_file) if baseline_file is not None else None
        new_only = (lambda current: new_since_base(current, None)) if diff_base is not None else None
        fixed = _apply_fixes(outcome, settings_for, unsafe, show_diff, baseline_now, new_only, root)
        if show_diff or fix_only:
            _fix_only_exit(outcome, settings_for, unsafe, show_diff, fixed, quiet)

    findings, hidden, stale = outcome.findings, 0, []
    if write_baseline is not None:
        from auditor.baseline import BaselineError, write_baseline as write

        if outcome.errors:
            _report_errors(outcome.errors)
            _fail("not writing a baseline: a rule crashed, so the findings are incomplete", EXIT_INTERNAL)
        try:
            write(write_baseline, findings, root)
        except BaselineError as error:
            _fail(str(error))
        if not quiet:
            click.echo(printable_path(f"Recorded {len(findings)} finding{'s' if len(findings) != 1 else ''} in {write_baseline}."))
        sys.exit(EXIT_CLEAN)
    baseline = None
    if baseline_file is not None:
        baseline = _baseline(baseline_file)
        match = baseline.match(findings, root)
        findings, hidden = match.reported, match.hidden
        stale = baseline.stale(match, root, outcome.checked_paths)
        if prune_baseline:
            _prune(baseline_file, baseline, baseline.pruned(match, root, outcome.checked_paths), outcome.errors, quiet)
    if diff_base is not None:
        findings = new_since_base(outcome.findings, baseline)
    findings, fixable, unsafe_fixable = _fix_counts(findings, settings_for, unsafe)

    color = use_color(color_choice, output_file is None and sys.stdout.isatty())
    result = RunResult(
        findings=findings,
        files_checked=outcome.files_checked,
        root=root,
        sources=outcome.sources,
        color=color,
        baseline_hidden=hidden,
        fixing=fixing,
        fixed=fixed,
        fixable=0 if fixing else fixable,
        unsafe_fixable=unsafe_fixable,
    )
    if statistics:
        from auditor.fix.run import fixes_apply_to

        rows = count(findings, lambda f: f.fix is not None and fixes_apply_to(f) and (f.fix.safe or unsafe))
        report = render_statistics(rows, fmt)
    else:
        report = get_renderer(fmt)(result)
        # Under GitHub Actions with no format chosen, annotate the diff as well as printing text.
        # Annotations go to standard output, where the runner reads them, even when -o names a file.
        if output_format is None and os.environ.get("GITHUB_ACTIONS") == "true" and fmt == "full":
            click.echo(get_renderer("github")(result), nl=False)
    _write(report, output_file, color or None)
    if not quiet and fmt in ("full", "concise"):
        click.echo(summary_line(result))
    if report_stale_baseline or fail_on_stale_baseline:
        for entry in stale:
            click.echo(f"auditor: stale baseline entry: {entry}", err=True)
    if verbose:
        files = "file" if outcome.files_checked == 1 else "files"
        click.echo(
            f"auditor: {outcome.files_checked} {files} checked: {outcome.files_parsed} parsed, "
            f"{outcome.modules_summarised} other modules summarised, {outcome.cache_hits} from the cache",
            err=True,
        )
    _report_errors(outcome.errors)
    if outcome.errors:
        sys.exit(EXIT_INTERNAL)
    failing = _failing(findings, fail_on or top.fail_on) or (fail_on_stale_baseline and bool(stale))
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


def _show_files_or_settings(
    targets: list[Path], stdin_path: Path | None, settings_for: Callable[[Path], Settings], force_exclude: bool, show_settings: bool
) -> NoReturn:
    """--show-files: the files a check would read, after excludes, as the terminal formats name
    them. --show-settings: the settings of the first of them (command-line flags applied) as
    `auditor config` prints them, and the rules in force. Exit 2 if a path cannot be read."""
    from auditor.discovery import discover, is_excluded
    from auditor.engine import display_path, rules_for

    if stdin_path is not None:
        files, errors = ([] if force_exclude and is_excluded(stdin_path, settings_for(stdin_path), is_dir=False) else [stdin_path]), []
    else:
        candidates = discover(targets, settings_for, force_exclude)
        files = [c.path for c in candidates if c.error is None]
        errors = [f"{display_path(c.path)}: {c.error}" for c in candidates if c.error is not None]
    if show_settings:
        where = files[0] if files else targets[0]
        settings = settings_for(where)
        layer = settings.command_line
        flags = [f"--{name} {','.join(values)}" for name, values in (("select", layer.select or ()), ("extend-select", layer.extend_select), ("ignore", layer.ignore)) if values]
        header = [f"settings for: {display_path(where)}"] + ([f"command line: {' '.join(flags)}"] if flags else [])
        header.append(f"rules in force: {' '.join(rule.code for rule in rules_for(settings)) or 'none'}")
        _print_settings(settings, header)
    else:
        for path in files:
            click.echo(printable_path(display_path(path)))
    for error in errors:
        click.echo(printable_path(f"auditor: error: {error}"), err=True)
    sys.exit(EXIT_USAGE if errors else EXIT_CLEAN)


def _stdin_path(paths: tuple[Path, ...], stdin_filename: Path | None) -> Path | None:
    """The path standard input stands for (`-` without --stdin-filename), or None when the run
    checks files. `-` alone, or --stdin-filename with no path, reads standard input, as in ruff."""
    if Path("-") in paths and len(paths) > 1:
        _fail("`-` (standard input) cannot be combined with other paths")
    if paths and paths != (Path("-"),):
        if stdin_filename is not None:
            _fail("--stdin-filename names standard input (`-`): it cannot be combined with paths to check")
        return None
    if not paths and stdin_filename is None:
        return None
    return stdin_filename or Path("-")


def _read_stdin(path: Path, settings_for: Callable[[Path], Settings], force_exclude: bool) -> list[tuple[Path, bytes]]:
    """Standard input as the contents of `path`; nothing to check when --force-exclude excludes
    that path (read all the same, so that the writer never meets a closed pipe)."""
    from auditor.discovery import is_excluded

    data = sys.stdin.buffer.read()
    if force_exclude and is_excluded(path, settings_for(path), is_dir=False):
        return []
    return [(path, data)]


def _failing(findings: list[Finding], fail_on: str) -> bool:
    """Whether any finding is at least as severe as `fail_on` ("warning": any finding at all)."""
    from auditor.findings import Severity

    failing = {Severity.ERROR} if fail_on == "error" else set(Severity)
    return any(f.severity in failing for f in findings)


def _prune(path: Path, baseline: Baseline, pruned: Baseline, errors: list[str], quiet: bool) -> None:
    """`--prune-baseline`: rewrite the baseline with what still matches; untouched when nothing is stale."""
    from auditor.baseline import BaselineError, save_baseline

    if errors:
        _report_errors(errors)
        _fail("not pruning the baseline: a rule crashed, so the findings are incomplete", EXIT_INTERNAL)
    if pruned.entries == baseline.entries:
        return
    try:
        save_baseline(path, pruned)
    except BaselineError as error:
        _fail(str(error))
    if not quiet:
        before, after = (sum(e.count for e in b.entries.values()) for b in (baseline, pruned))
        click.echo(f"auditor: pruned {path}: {before - after} of {before} recorded findings no longer found", err=True)


def _baseline(path: Path) -> Baseline:
    from auditor.baseline import BaselineError, load_baseline

    try:
        return load_baseline(path)
    except BaselineError as error:
        _fail(str(error))


def _apply_fixes(
    outcome: Outcome,
    settings_for: Callable[[Path], Settings],
    unsafe: bool,
    dry_run: bool,
    baseline: Baseline | None,
    new_only: Callable[[list[Finding]], list[Finding]] | None,
    root: Path,
) -> int:
    """Fix the files of `outcome` (or, for --diff, work out the fixes and print them), and put
    each fixed file's remaining findings in its place. Returns how many findings were fixed.

    Under a baseline only the findings it does not hide are fixed; with --diff-base only those
    the merge base does not have, in one round (the comparison is made on the text before it)."""
    from auditor.fix.run import fix_run

    new = {(f.path, f.code, f.span) for f in new_only(outcome.findings)} if new_only is not None else None

    def limit(path: str, current: list[Finding], round_number: int) -> list[Finding]:
        if baseline is not None:
            current = baseline.match(current, root).reported
        if new is not None:
            current = [f for f in current if round_number == 0 and (f.path, f.code, f.span) in new]
        return current

    run = fix_run(outcome.findings, settings_for, unsafe, write=not dry_run, limit=limit)
    done = {f.path: f for f in run.files}
    kept = [f for f in outcome.findings if f.path not in done]
    outcome.findings = sorted([*kept, *(x for f in run.files for x in f.result.findings)], key=lambda f: f.sort_key)
    for path, fixed in done.items():
        outcome.sources.pop(path, None)
        if fixed.lines:
            outcome.sources[path] = fixed.lines
    if dry_run:
        for fixed in run.files:
            if fixed.result.text != fixed.original:
                click.echo(fixed.diff(), nl=False)
    for warning in run.warnings:
        _warn(warning)
    outcome.errors.extend(run.errors)
    return run.fixed


def _fix_counts(findings: list[Finding], settings_for: Callable[[Path], Settings], unsafe: bool) -> tuple[list[Finding], int, int]:
    """The findings with the fixes of `unfixable` rules taken off, and how many fixes --fix
    would apply and how many more need --unsafe-fixes."""
    from auditor.fix.run import fixable_codes, fixes_apply_to

    allowed: dict[int, set[str]] = {}
    shown, fixable, unsafe_only = [], 0, 0
    for finding in findings:
        fix = finding.fix
        if fix is not None:
            settings = settings_for(Path(finding.path))
            if finding.code not in allowed.setdefault(id(settings), fixable_codes(settings)):
                finding = dataclasses.replace(finding, fix=None)
            elif not fixes_apply_to(finding):
                pass  # a notebook's fix: offered (JSON, the editor), not applied by --fix yet
            elif fix.safe or unsafe:
                fixable += 1
            else:
                unsafe_only += 1
        shown.append(finding)
    return shown, fixable, unsafe_only


def _fix_only_exit(outcome: Outcome, settings_for: Callable[[Path], Settings], unsafe: bool, dry_run: bool, fixed: int, quiet: bool) -> NoReturn:
    """--diff and --fix-only: a line on what was (or would be) fixed, no findings. --diff
    exits 1 when there is something to fix; --fix-only exits 0; both exit 3 if a fix failed."""
    _, _, unsafe_fixable = _fix_counts(outcome.findings, settings_for, unsafe)
    more = f" {unsafe_fixable} more fixable with --unsafe-fixes." if unsafe_fixable else ""
    noun = "problem" if fixed == 1 else "problems"
    if not quiet:
        click.echo(f"{'Would fix' if dry_run else 'Fixed'} {fixed} {noun}.{more}", err=dry_run)
    _report_errors(outcome.errors)
    if outcome.errors:
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_FINDINGS if dry_run and fixed else EXIT_CLEAN)


def _open_cache(root: Path, option: Path | None, paths: tuple[Path, ...]) -> ResultCache:
    """The result cache, in a directory that neither holds the checked code nor anyone else's files."""
    from auditor.cache import CacheDirError, ResultCache, default_cache_dir, guard_cache_dir

    directory = default_cache_dir(root, option)
    protected = [(root, f"the project root ({root})"), *((path, f"the checked path {path}") for path in paths or (Path("."),))]
    try:
        guard_cache_dir(directory, protected)
    except CacheDirError as error:
        _fail(str(error))
    return ResultCache(directory, _warn)


def _report_errors(errors: list[str]) -> None:
    for error in errors:
        click.echo(f"auditor: internal error: {error}", err=True)


def _write(report: str, output_file: Path | None, color: bool | None = None) -> None:
    """The report to standard output or to a file. `color`: keep its ANSI colours even when
    standard output is not a terminal (click strips them there by default)."""
    if output_file is None:
        click.echo(report, nl=False, color=color)
        return
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(report, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {output_file}: {error.strerror or error}")


@main.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print the documentation of every rule.")
def rule(code: str | None, show_all: bool) -> None:
    """Print the documentation of rule CODE (a code such as ANT401 or a name)."""
    from auditor.rule import all_rules

    rules = all_rules()
    if show_all:
        chosen = list(rules.values())
    elif code is None:
        _fail("give a rule code (e.g. `auditor rule ANT401`) or --all")
    else:
        chosen = [r for r in rules.values() if code.upper() == r.code or code == r.name]
        if not chosen:
            _fail(f"unknown rule {code!r}; known: {', '.join(rules)}")
    pages = []
    for rule_class in chosen:
        head = f"# {rule_class.name} ({rule_class.code})\n\nSeverity: {rule_class.severity.value}\n"
        options = "".join(f"Option: `{o}`\n" for o in rule_class.options)
        fix = {"safe": "Fix: safe (applied by --fix)\n", "unsafe": "Fix: unsafe (applied with --fix --unsafe-fixes)\n"}.get(rule_class.fix_safety or "", "")
        pages.append(f"{head}{fix}{options}\n{rule_class.documentation()}")
    click.echo("\n".join(pages), nl=False)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config_file", type=click.Path(path_type=Path), metavar="FILE", help="Use this configuration file for every path.")
@click.option("--output-format", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--output-file", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file.")
@click.option("--sort", type=click.Choice(["location", "time", "requests"]), default="location", show_default=True, help="Order of the calls: by place, by worst-case wall time, or by worst-case requests.")
@click.option("--force-exclude", is_flag=True, help="Apply exclusions to paths given on the command line too.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N", help="Worker processes (default: one per CPU).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Cache directory.")
def inventory(
    paths: tuple[Path, ...],
    config_file: Path | None,
    output_format: str,
    output_file: Path | None,
    sort: str,
    force_exclude: bool,
    jobs: int | None,
    no_cache: bool,
    cache_dir: Path | None,
) -> None:
    """List every SDK client and call in PATHS, the settings in force and each call's worst case.

    An inventory is not a verdict: it exits 0 (2 on a usage or configuration error)."""
    from auditor.api import CheckOptions, check_files
    from auditor.inventory import build_report
    from auditor.inventory_render import render_json, render_markdown, render_text
    from auditor.renderers.json_format import report_path

    targets = list(paths) or [Path(".")]
    root = project_root(targets, config_file)
    resolver = _resolver(config_file, root)
    try:
        cache = None if no_cache else _open_cache(root, cache_dir, paths)
        options = CheckOptions(force_exclude=force_exclude, jobs=jobs, cache=cache, inventory=True)
        results = check_files(targets, resolver.for_path, options)
    except ConfigError as error:
        _fail(str(error))
    parts = [r.inventory for r in results if r.inventory is not None]
    for part in parts:
        for row in (*part["clients"], *part["calls"]):
            # reports for machines and pull requests: paths from the project root
            row["path"] = report_path(row["path"], root) if output_format != "text" else printable_path(row["path"])
    errors = [dataclasses.replace(f, path=printable_path(f.path)) for r in results for f in r.findings if f.code == "ANT000"]
    report = build_report(parts, errors, sort)
    if output_format == "json":
        text = render_json(report)
    elif output_format == "markdown":
        text = render_markdown(report)
    else:
        text = render_text(report, text_width(output_file is None))
    _write(text, output_file)
    _report_errors([e for r in results for e in r.errors])
    sys.exit(EXIT_CLEAN)


@main.command()
@click.option("--log-level", type=click.Choice(["error", "warning", "info", "debug"]), default="warning", show_default=True, help="What to log on standard error.")
def server(log_level: str) -> None:
    """Run the language server on standard input and output, for editors."""
    try:
        from auditor.lsp_server import serve
    except ModuleNotFoundError as error:  # pygls is the `lsp` extra
        if (error.name or "").partition(".")[0] not in ("pygls", "lsprotocol"):
            raise
        _fail("auditor server needs pygls: pip install 'auditor[lsp]'")
    sys.exit(serve(log_level))


@main.command()
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="The cache directory to remove.")
def clean(cache_dir: Path | None) -> None:
    """Remove the result cache of the project in the current directory: only the files auditor
    wrote there, and the directory itself if that empties it."""
    from auditor.cache import CacheDirError, clean as remove, default_cache_dir

    root = project_root([Path.cwd()])
    directory = default_cache_dir(root, cache_dir)
    try:
        click.echo(printable_path(remove(directory, [(root, f"the project root ({root})")])))
    except CacheDirError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot clean {directory}: {error.strerror or error}")


@main.command("config")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Use this configuration file.")
def show_config(path: Path | None, config_file: Path | None) -> None:
    """Print the settings in force for PATH (default: the current directory) as TOML to paste
    under [tool.auditor], each value with its source."""
    _print_settings(_settings_at(path, config_file))


def _print_settings(settings: Settings, header: list[str] | None = None) -> None:
    """Comment lines (the configuration file, the root, `header`), then the settings as TOML."""
    from auditor.settings_toml import settings_toml

    lines = [*(header or []), f"configuration file: {settings.config_file or 'none (defaults)'}", f"project root: {settings.root}"]
    click.echo(printable_path("".join(f"# {line}\n" for line in lines) + settings_toml(settings)), nl=False)


def _settings_at(path: Path | None, config_file: Path | None) -> Settings:
    where = path or Path.cwd()
    resolver = _resolver(config_file, project_root([where], config_file))
    try:
        return resolver.for_path(where)
    except ConfigError as error:
        _fail(str(error))
