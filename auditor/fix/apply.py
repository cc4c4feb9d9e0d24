"""Apply fixes to one source text in rounds, and refuse a result that is not plainly better.

Each round applies every wanted fix that does not touch another's text, then checks the file
again: the new findings carry fixes computed on the new text, so a fix that overlapped another
is applied in a later round. After each round the text must still parse (and compile, if it
did), and no fixed finding may still be reported where its fix landed. Otherwise
nothing of the file is kept: a fix that misfires is a bug to report, not a change to ship.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from auditor.findings import Edit, Finding
from auditor.fix.edits import OffsetMap, apply_edits, offsets_overlap, span_offsets

# Enough for fixes that enable one another (a handler moved twice); a loop stops here.
MAX_ROUNDS = 10
PARSE_ERROR = "ANT000"


@dataclass
class FixedSource:
    """The outcome for one text: the fixed text (the original when refused), the findings of
    that text, how many fixes of each rule were applied, and why the fixes were refused."""

    text: str
    findings: list[Finding]
    fixed: Counter[str] = field(default_factory=Counter)
    error: str | None = None


# Which findings' fixes may be applied in a round (0, 1, ...), given the text's findings.
Chooser = Callable[[list[Finding], int], list[Finding]]


def fix_source(source: str, check: Callable[[str], list[Finding]], choose: Chooser, findings: list[Finding] | None = None) -> FixedSource:
    """Fix `source` with the fixes `choose` picks; `check` finds the findings of a text
    (raising RuntimeError when a rule crashes). `findings` are the source's own, if known."""
    current = check(source) if findings is None else findings
    text, fixed = source, Counter[str]()
    compiled: bool | None = None
    for round_number in range(MAX_ROUNDS):
        chosen = _non_overlapping([f for f in choose(current, round_number) if f.fix is not None and f.fix.edits])
        if not chosen:
            break
        where = ", ".join(f"{f.code} at line {f.span.line}" for f in chosen)
        try:
            new_text = apply_edits(text, [edit for f in chosen for edit in _edits(f)])
        except ValueError as error:
            return _refused(source, current, f"the fixes ({where}) cannot be applied: {error}")
        if compiled is None:
            compiled = _compiles(source)
        if compiled and not _compiles(new_text):
            return _refused(source, current, f"the fixes ({where}) would not compile")
        try:
            after = check(new_text)
        except RuntimeError as error:
            return _refused(source, current, f"checking the fixed text failed: {error}")
        if any(f.code == PARSE_ERROR for f in after):
            return _refused(source, current, f"the fixes ({where}) would not parse")
        survivor = _still_reported(text, new_text, current, chosen, after)
        if survivor is not None:
            return _refused(source, current, f"after the fixes ({where}) {survivor} still reports what was fixed")
        text, current = new_text, after
        fixed += Counter(f.code for f in chosen)
    return FixedSource(text, current, fixed)


def _still_reported(text: str, new_text: str, current: list[Finding], chosen: list[Finding], after: list[Finding]) -> str | None:
    """The rule whose fixed findings the new text still reports. Where the fixes of a rule
    rewrote (their edits and their findings' spans), its findings must drop by the number
    fixed. A finding elsewhere is another one: a fix may change how other code is judged (a
    client given a timeout moves a call from ANT102 to ANT101)."""
    mapping = OffsetMap(text, [edit for f in chosen for edit in _edits(f)])
    for code in sorted({f.code for f in chosen}):
        fixed = [f for f in chosen if f.code == code]
        zones = [_zone(text, f) for f in fixed]
        moved = [(mapping.after(low), mapping.after(high, end=True)) for low, high in zones]
        before = sum(1 for f in current if f.code == code and _inside(span_offsets(text, f.span)[0], zones))
        left = sum(1 for f in after if f.code == code and _inside(span_offsets(new_text, f.span)[0], moved))
        if left > before - len(fixed):
            return code
    return None


def _zone(text: str, finding: Finding) -> tuple[int, int]:
    edges = [span_offsets(text, finding.span)] + [span_offsets(text, e.span) for e in _edits(finding)]
    return min(a for a, _ in edges), max(b for _, b in edges)


def _inside(offset: int, zones: list[tuple[int, int]]) -> bool:
    return any(low <= offset <= high for low, high in zones)


def _refused(source: str, findings: list[Finding], why: str) -> FixedSource:
    return FixedSource(source, findings, Counter(), f"{why}; the file was left unchanged")


def _non_overlapping(findings: list[Finding]) -> list[Finding]:
    """The fixes of one round, in source order, skipping any that touch a chosen one's text."""
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (min(e.span for e in _edits(f)), f.code)):
        edits = _edits(finding)
        if not any(offsets_overlap(edits, _edits(other)) for other in chosen):
            chosen.append(finding)
    return chosen


def _edits(finding: Finding) -> tuple[Edit, ...]:
    return finding.fix.edits if finding.fix is not None else ()


def _compiles(text: str) -> bool:
    """Does CPython compile the text? Compiling never runs it."""
    try:
        compile(text, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
