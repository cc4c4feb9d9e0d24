"""A cheap look at a source before libcst sees it, for the shapes that crash or stall libcst.

libcst's native parser recurses once per level of an expression: about 8,000 chained `and`s or
1,300 nested brackets overflow its stack (a segfault, not an exception), and a chain of a few
thousand `+`, `.attr`, calls, subscripts or conditional expressions takes it seconds to
minutes (it is quadratic on them) and gigabytes of memory. Real code stays far below: a few
dozen levels at most.

The screen estimates the deepest expression without parsing: one regular-expression pass over
the tokens that matter (strings and comments skipped), counting, for each open bracket, the
operators chained since the last comma, and adding up the enclosing brackets' counts. It costs
about 1% of a parse, and the supervisor (auditor.supervisor) still catches whatever it misses.
"""

from __future__ import annotations

import re

# The estimated depth past which a file is not parsed. libcst handles 1,000 in about a second;
# CPython itself refuses 200 nested brackets and 100 indentation levels.
MAX_EXPRESSION_DEPTH = 1000
MAX_BRACKET_DEPTH = 200

_TOKENS = re.compile(
    r"""
    (?P<string>(?:[rRbBuUfF]{1,2})?(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    |(?P<comment>\#[^\n]*)
    |(?P<continuation>\\\r?\n)
    |(?P<open>[(\[{])
    |(?P<close>[)\]}])
    |(?P<separator>[,;\n])
    |(?P<chain>\*\*|//|<<|>>|[-+*/%@&|^~<>.]|\b(?:and|or|not|if|else|lambda|in|is|await)\b)
    """,
    re.VERBOSE | re.DOTALL,
)


def screen(source: str) -> tuple[str, int] | None:
    """Why this source must not be parsed and the line where it shows, or None when it is safe
    to hand to libcst."""
    if len(source) <= MAX_EXPRESSION_DEPTH:  # each level takes at least one character
        return None
    counts = [0]  # chained operators since the last separator, per open bracket
    total = 0  # sum(counts) + the bracket depth: the estimated expression depth
    deepest = 0
    start = 0  # where the statement being measured starts: the line a finding points at
    for match in _TOKENS.finditer(source):
        kind = match.lastgroup
        if kind in ("chain", "open") and start < 0:
            start = match.start()
        if kind == "chain":
            counts[-1] += 1
            total += 1
        elif kind == "open":
            counts[-1] += 1
            counts.append(0)
            total += 2
            if len(counts) - 1 > MAX_BRACKET_DEPTH:
                return f"brackets nested deeper than {MAX_BRACKET_DEPTH} levels: the file was not parsed", _line(source, max(start, 0))
        elif kind == "close":
            if len(counts) > 1:
                total -= counts.pop() + 1
        elif kind == "separator":
            if match.group() != "\n" or len(counts) == 1:
                total -= counts[-1]
                counts[-1] = 0
                if len(counts) == 1:
                    start = -1
            continue
        else:
            continue
        if total > deepest:
            deepest = total
            if deepest > MAX_EXPRESSION_DEPTH:
                message = (
                    f"an expression nested or chained deeper than {MAX_EXPRESSION_DEPTH:,} levels "
                    "(too deep for the parser to handle safely): the file was not parsed"
                )
                return message, _line(source, max(start, 0))
    return None


def _line(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1
