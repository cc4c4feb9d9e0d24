"""Check one file: read, prefilter, parse once, build the SDK model once, run every rule on it,
then apply suppressions and per-file ignores. Never raises for bad input: a file that cannot be
read or parsed becomes an ANT000 finding.

libcst and the SDK model are imported only when a file passes the prefilter, so a run over files
that never mention the SDK does not pay for them.
"""

from __future__ import annotations

import fnmatch
import functools
import io
import os
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.config import Settings
from auditor.files import UnreadableFile, read_regular_file
from auditor.findings import Finding, Fix, Severity, Span
from auditor.notebook import Notebook, NotebookError, is_notebook, read_notebook
from auditor.rule import Rule, all_rules
from auditor.suppression import Suppressions, matches, parse_suppressions

if TYPE_CHECKING:
    import libcst as cst

    from auditor.project.resolver import Record, Resolver
    from auditor.sdk.model import SdkModel

PARSE_ERROR = "ANT000"
# Larger sources are reported, not parsed: libcst needs seconds and gigabytes per 100,000 lines.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
UNUSED_SUPPRESSION = "ANT001"
PARSE_ERROR_HELP = "Fix the file, or stop checking it: `extend-exclude` leaves it out, `per-file-ignores` silences ANT000 for it"


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    # The flagged lines ({line: text}), to show the source under each finding. Only these are
    # kept: a run over a large tree must not hold every file's text until it reports.
    lines: dict[int, str] | None = None
    # Internal errors (a rule crashed): reported on stderr, exit code 3.
    errors: list[str] = field(default_factory=list)
    parsed: bool = False
    # `auditor inventory`: this file's clients and calls (see auditor.inventory).
    inventory: dict[str, Any] | None = None
    # Project-wide analysis: the summaries this module's analysis read (file -> digest), and
    # those computed on the way (other modules' records, for the cache).
    deps: dict[str, str] = field(default_factory=dict)
    computed: dict[str, Record] = field(default_factory=dict)
    # False for the result of summarising a module another one reads: not a file checked.
    checked: bool = True


def trigger_pattern(settings: Settings) -> re.Pattern[bytes]:
    """Bytes a file must contain to be able to reference the SDK at all.

    Every SDK name reaches a module through an import of `anthropic`, or through a name the
    configuration declares (whose last component must then appear in the text).
    """
    words = {"anthropic"}
    for name in (*settings.sdk.client_classes, *settings.sdk.client_factories, *settings.sdk.wrappers):
        words.add(name.rsplit(".", 1)[-1])
    return _compile_words(tuple(sorted(words)))


@functools.lru_cache(maxsize=None)
def _compile_words(words: tuple[str, ...]) -> re.Pattern[bytes]:
    return re.compile("|".join(re.escape(w) for w in words).encode())


def display_path(path: Path) -> str:
    """Paths as the user gave them, relative to the working directory when under it."""
    absolute = os.path.abspath(path)  # not resolve(): a symlink keeps the name it was given
    cwd = _cwd()
    if absolute.startswith(cwd):
        return absolute[len(cwd) :].replace(os.sep, "/")
    return absolute.replace(os.sep, "/")


def _cwd() -> str:
    cwd = os.getcwd()
    return cwd if cwd.endswith(os.sep) else cwd + os.sep


def rules_for(settings: Settings) -> list[type[Rule]]:
    from auditor.rule import select_rules

    return select_rules(settings.rule_selection())


def _ignored_by_path(path: str, settings: Settings) -> set[str]:
    if not settings.per_file_ignores:
        return set()
    from auditor.rule import codes_matching

    try:
        relative = Path(path).resolve().relative_to(settings.root).as_posix()
    except ValueError:
        relative = path
    codes: set[str] = set()
    for pattern, selectors in settings.per_file_ignores:
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
            codes |= codes_matching(selectors)
    return codes


def parse_error_finding(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    rule = all_rules()[PARSE_ERROR]
    return Finding(
        PARSE_ERROR,
        rule.name,
        Severity.ERROR,
        message,
        path,
        Span(line, column, line, column),
        context=message,
        help=PARSE_ERROR_HELP,
    )


def decode(data: bytes) -> str:
    """Decode Python source as the interpreter does: BOM, coding cookie, else UTF-8."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def source_of(path: str, data: bytes) -> tuple[str, Notebook | None]:
    """The Python text to analyse: the file decoded, or a notebook's code cells (with the
    notebook, to place findings in their cells). Raises NotebookError, SyntaxError,
    UnicodeDecodeError or LookupError for bytes that are neither."""
    if is_notebook(path):
        notebook = read_notebook(data)
        return notebook.source, notebook
    return decode(data), None


def read_file(path: Path) -> tuple[FileResult, bytes | None]:
    shown = display_path(path)
    try:
        return FileResult(shown), read_regular_file(path)
    except UnreadableFile as error:
        return FileResult(shown, [parse_error_finding(shown, str(error))]), None


def finish(result: FileResult, settings: Settings) -> FileResult:
    """Apply per-file ignores and put the findings in order."""
    ignored = _ignored_by_path(result.path, settings)
    result.findings = sorted((f for f in result.findings if f.code not in ignored), key=lambda f: f.sort_key)
    if result.lines is not None:
        wanted = {f.span.line for f in result.findings}
        result.lines = {n: text for n, text in result.lines.items() if n in wanted} or None
    return result


def flagged_lines(source: str, findings: list[Finding]) -> dict[int, str] | None:
    wanted = {f.span.line for f in findings}
    if not wanted:
        return None
    return {number: text for number, text in enumerate(source.splitlines(), 1) if number in wanted}


def check_bytes(result: FileResult, data: bytes, settings: Settings, use_prefilter: bool) -> None:
    prepared = prepare(result, data, settings, use_prefilter)
    if prepared is not None:
        source, could_reference_sdk, notebook = prepared
        analyse(result, source, could_reference_sdk, settings, notebook=notebook)


# With project-wide analysis, a module that never names the SDK can still call it through a
# client another module builds (`make_client().messages.create(...)`): such a module is parsed
# when it spells a generation call.
_RESOURCE_WORDS = re.compile(rb"\.\s*(?:messages|completions)\s*\.\s*(?:create|stream|parse|tool_runner)\b")


def may_call_sdk(data: bytes) -> bool:
    """Does the text spell a generation call (`x.messages.create(`)? See _RESOURCE_WORDS."""
    return _RESOURCE_WORDS.search(data) is not None


def prepare(
    result: FileResult, data: bytes, settings: Settings, use_prefilter: bool, linked: bool = False
) -> tuple[str, bool, Notebook | None] | None:
    """The byte-level checks: binary, encoding, and the prefilter. Returns (source, whether it can
    reference the SDK, the notebook if it is one) when the file must be parsed, None when its
    result is already final. `linked`: the other modules of the project are known, so a file
    that may call a client they build is parsed too (its syntax errors stay its own business)."""
    path = result.path
    kind = "a notebook" if is_notebook(path) else "Python source"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        result.findings.append(parse_error_finding(path, f"UTF-16 encoded: {kind} must be UTF-8 (or declare its encoding)"))
        return None
    if b"\x00" in data:
        result.findings.append(parse_error_finding(path, f"binary file (contains NUL bytes), not {kind}"))
        return None
    trigger = trigger_pattern(settings)
    could_reference_sdk = trigger.search(data) is not None
    may_call = could_reference_sdk or (linked and may_call_sdk(data))
    if use_prefilter and not may_call and is_notebook(path):
        return None  # not even read as JSON: nothing in it names the SDK
    try:
        source, notebook = source_of(path, data)
    except NotebookError as error:
        # Like a syntax error: reported when the notebook could reference the SDK.
        if could_reference_sdk:
            result.findings.append(parse_error_finding(path, f"not a valid notebook: {error.reason}", error.line, error.column))
        return None
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        result.findings.append(parse_error_finding(path, f"cannot decode file: {_one_line(error)}"))
        return None
    if notebook is not None:  # the bytes include outputs: what counts is the code
        code = source.encode()
        could_reference_sdk = could_reference_sdk and trigger.search(code) is not None
        may_call = could_reference_sdk or (linked and may_call_sdk(code))
    if use_prefilter and not may_call:
        return None
    size = len(data) if notebook is None else len(source.encode())  # a notebook's outputs are never parsed
    if size > MAX_SOURCE_BYTES:
        if could_reference_sdk:
            size_text = f"{size / 1024**2:.1f} MiB"
            result.findings.append(parse_error_finding(path, f"file too large to analyse safely ({size_text}, the limit is {MAX_SOURCE_BYTES // 1024**2} MiB): the file was not checked"))
        return None
    return source, could_reference_sdk, notebook


def analyse(
    result: FileResult,
    source: str,
    could_reference_sdk: bool,
    settings: Settings,
    inventory: bool = False,
    notebook: Notebook | None = None,
    resolver: Resolver | None = None,
) -> None:
    """Parse once, build the SDK model once, run every selected rule on it (and, for
    `auditor inventory`, read the inventory from the same model). A notebook's findings and
    inventory are then placed in their cells."""
    _analyse(result, source, could_reference_sdk, settings, inventory, resolver)
    if notebook is not None:
        result.findings = notebook.locate(result.findings)
        result.lines = flagged_lines(notebook.original, result.findings)
        if result.inventory is not None:
            from auditor.inventory import place_in_cells

            place_in_cells(result.inventory, notebook)


def _analyse(result: FileResult, source: str, could_reference_sdk: bool, settings: Settings, inventory: bool, resolver: Resolver | None) -> None:
    path = result.path
    from auditor.prescreen import screen

    refused = screen(source)
    if refused is not None:
        # Like a syntax error: none of our business in a file that cannot reference the SDK.
        if could_reference_sdk:
            message, line = refused
            result.findings.append(parse_error_finding(path, message, line))
            result.lines = flagged_lines(source, result.findings)
        return
    module = _parse(result, source, could_reference_sdk)
    if module is None:
        return
    result.parsed = True
    from auditor.sdk.model import SdkModel

    try:
        model = SdkModel(module, path, settings.sdk, settings.retry_decorators, settings.target_sdk_version, resolver)
    except RecursionError:
        result.findings.append(parse_error_finding(path, "too deeply nested to analyse"))
        return
    try:
        reported = list(_run_rules(result, model, settings))
    except RecursionError:  # libcst computes positions recursively: a 5,000-deep expression
        result.findings.append(parse_error_finding(path, "too deeply nested to analyse"))
        return
    findings = [finding for finding, _ in reported]
    if findings or settings.report_unused_ignores:
        suppressions = parse_suppressions(source)
        findings = [f for f, first in reported if not suppressions.silences(f.code, f.name, (f.span.line, first))]
        if settings.report_unused_ignores:
            findings += _unused_ignores(path, suppressions, settings)
    result.findings.extend(findings)
    if inventory:
        from auditor.inventory import file_inventory

        ignored = _ignored_by_path(path, settings)
        result.inventory = file_inventory(model, [f for f in findings if f.code not in ignored])
    result.lines = flagged_lines(source, result.findings)
    if resolver is not None:  # what the analysis read of other modules, to check the cache by
        result.deps = dict(resolver.deps)
        result.computed = dict(resolver.summaries.computed)


def _unused_ignores(path: str, suppressions: Suppressions, settings: Settings) -> list[Finding]:
    """ANT001: a suppression that silenced nothing, or that names no rule, at the place of its
    directive in the comment. Selectors of rules that are not selected are left alone: with the
    rule off, the comment cannot be judged."""
    from auditor.rule import is_known_selector

    rules = all_rules()
    selected = rules_for(settings)
    rule = rules[UNUSED_SUPPRESSION]
    found = []
    for directive, selector in suppressions.unused():
        if selector == "*":
            message, advice = "this blanket suppression silences nothing here", "remove it"
        elif not is_known_selector(selector):
            message, advice = f"{selector} is not an auditor rule", "fix or remove it (see `auditor rule --all`)"
        elif any(matches(selector, r.code, r.name) for r in selected):
            message, advice = f"{selector} is suppressed here but not reported", "remove the suppression"
        else:
            continue
        span = Span(directive.line, directive.column, directive.line, directive.end_column)
        context = f"{selector}\x1f{message}: {advice}"  # the one-line wording the fingerprints were made from
        found.append(Finding(UNUSED_SUPPRESSION, rule.name, rule.severity, message, path, span, context=context, help=advice[0].upper() + advice[1:]))
    return found


def _parse(result: FileResult, source: str, could_reference_sdk: bool) -> cst.Module | None:
    import libcst as cst

    try:
        return cst.parse_module(source)
    except Exception as error:  # libcst raises ParserSyntaxError, CSTValidationError and others
        # A file that cannot reference the SDK is none of our business, parsed or not: this
        # keeps the findings the same with and without the prefilter.
        if could_reference_sdk:
            result.findings.append(_syntax_error(result.path, source, error))
            result.lines = flagged_lines(source, result.findings)
    return None


def _syntax_error(path: str, source: str, error: Exception) -> Finding:
    """Python's own message and position for a real syntax error; libcst's for a file only
    libcst rejects (CPython's parser accepts a few forms libcst's grammar does not)."""
    try:
        # Compiles, never runs. Not under the file's name: CPython would measure the error's
        # column on the line it reads from that file, not on `source` (an editor's unsaved buffer).
        compile(source, "<auditor>", "exec", dont_inherit=True)
    except SyntaxError as python_error:
        line, column = _within(source, python_error.lineno, python_error.offset)
        return parse_error_finding(path, f"syntax error: {python_error.msg}", line, column)
    except (ValueError, RecursionError, MemoryError):
        pass
    text = _one_line(getattr(error, "message", error))
    where = re.match(r"(?:parser error: )?error at (\d+):(\d+): ", text)
    line, column = (int(where[1]), int(where[2])) if where else (getattr(error, "editor_line", 1), getattr(error, "editor_column", 1))
    detail = text[where.end() :] if where else text
    message = f"valid Python that libcst cannot parse, so the file was not checked ({detail})"
    return parse_error_finding(path, message, *_within(source, line, column))


def _within(source: str, line: int | None, column: int | None) -> tuple[int, int]:
    """A parser's position made safe to show: 1-based, on a line the file has, at most one
    column past its end. (libcst reports column 0 and a line past the end for a missing
    newline at EOF; SARIF viewers reject such regions.)"""
    lines = source.splitlines() or [""]
    line = min(max(line or 1, 1), len(lines))
    column = min(max(column or 1, 1), len(lines[line - 1]) + 1)
    return line, column


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


def _run_rules(result: FileResult, model: SdkModel, settings: Settings) -> Iterable[tuple[Finding, int]]:
    """Each finding, with the first line of the statement that holds it (for suppressions)."""
    seen: set[tuple[str, int, int]] = set()
    for rule_class in rules_for(settings):
        rule = rule_class(settings)
        try:
            for report in rule.check(model):
                finding = _to_finding(rule_class, model, report.node, report.message, report.fix, report.help)
                key = (finding.code, finding.span.line, finding.span.column)
                if key not in seen:
                    seen.add(key)
                    yield finding, _statement_line(model, report.node)
        except RecursionError:
            raise
        except Exception as error:  # a bug in a rule must not take the run down
            detail = _one_line(error)[:200]
            result.errors.append(f"{rule_class.code} crashed on {result.path}: {type(error).__name__}: {detail}")


def _to_finding(rule: type[Rule], model: SdkModel, node: cst.CSTNode, message: str, fix: Fix | None, help: str | None = None) -> Finding:
    position = model.position(node)
    span = Span(position.start.line, position.start.column + 1, position.end.line, position.end.column + 1)
    return Finding(
        rule.code,
        rule.name,
        rule.severity,
        message,
        model.path,
        span,
        fix,
        context=finding_context(model, node),
        help=help,
    )


def _statement_line(model: SdkModel, node: cst.CSTNode) -> int:
    """The first line of the statement that holds `node`: a suppression written there covers
    the whole statement (`timeout=None` three lines into a constructor). An `except` clause, a
    `case` and a decorator count as statements of their own, so a comment on `try:` or `def`
    does not silence them."""
    import libcst as cst

    for candidate in (node, *model.ancestors(node)):
        if isinstance(candidate, (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase, cst.Decorator)):
            return model.line(candidate)
    return model.line(node)


def finding_context(model: SdkModel, node: cst.CSTNode) -> str:
    """The flagged code with white space folded, and the function around it: the fingerprint's text."""
    code = " ".join(model.code(node).split())
    function = model.enclosing_function(node)
    return f"{function.name.value if function else '<module>'}\x1f{code}"
