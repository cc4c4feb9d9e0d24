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

from auditor.findings import Finding
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
            new_text = apply_edits(text, [edit for f in chosen for edit in f.fix.edits])  # type: ignore[union-attr]
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
        survivor = _still_reported(text, new_text, chosen, after)
        if survivor is not None:
            return _refused(source, current, f"after the fix of {survivor.code} at line {survivor.span.line} the finding is still reported")
        text, current = new_text, after
        fixed += Counter(f.code for f in chosen)
    return FixedSource(text, current, fixed)


def _still_reported(text: str, new_text: str, chosen: list[Finding], after: list[Finding]) -> Finding | None:
    """The first fixed finding that the new text still reports: a finding of the same rule,
    inside the text its fix rewrote, that flags the same code or starts at the same place.
    Another finding nearby is another one (the other class of a tuple), and so is one
    elsewhere: a fix may change how other code is judged (a client given a timeout moves a
    call from ANT102 to ANT101)."""
    mapping = OffsetMap(text, [edit for f in chosen for edit in f.fix.edits])  # type: ignore[union-attr]
    located = [(g, span_offsets(new_text, g.span)[0]) for g in after]
    for finding in chosen:
        own = span_offsets(text, finding.span)
        edges = [own] + [span_offsets(text, e.span) for e in finding.fix.edits]  # type: ignore[union-attr]
        low, high = mapping.after(min(a for a, _ in edges)), mapping.after(max(b for _, b in edges), end=True)
        same_place = mapping.after(own[0])
        for other, start in located:
            if other.code == finding.code and low <= start <= high and (start == same_place or other.context == finding.context):
                return finding
    return None


def _refused(source: str, findings: list[Finding], why: str) -> FixedSource:
    return FixedSource(source, findings, Counter(), f"{why}; the file was left unchanged")


def _non_overlapping(findings: list[Finding]) -> list[Finding]:
    """The fixes of one round, in source order, skipping any that touch a chosen one's text."""
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (min(e.span for e in f.fix.edits), f.code)):  # type: ignore[union-attr]
        edits = finding.fix.edits  # type: ignore[union-attr]
        if not any(offsets_overlap(edits, other.fix.edits) for other in chosen):  # type: ignore[union-attr]
            chosen.append(finding)
    return chosen


def _compiles(text: str) -> bool:
    """Does CPython compile the text? Compiling never runs it."""
    try:
        compile(text, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
