"""ANT201's fix: move a handler that can never run above the first clause that shadows it.

Handlers are moved as whole lines: the comment lines above an `except` go with it, and so do
the comments at the end of its body, so nothing is reworded or reindented. The moved handler
lands just above the earliest clause that catches any class it names: clauses above that one
still run first, and exceptions it does not name reach the same clauses as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.findings import Edit, Fix, Span
from auditor.fix.edits import newline_of, split_lines

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk.model import SdkModel


def move_handler_fix(model: SdkModel, statement: cst.Try | cst.TryStar, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> Fix | None:
    handlers: list[cst.ExceptHandler | cst.ExceptStarHandler] = list(statement.handlers)
    index = next(i for i, h in enumerate(handlers) if h is handler)
    shadowing = [by[0] for _, by in model.shadows(handler) if by is not None]
    target = next(i for i, h in enumerate(handlers) if any(h is clause for clause in shadowing))
    firsts, counts = [], []
    for h in handlers[target : index + 1]:
        firsts.append(model.position(h).start.line - len(h.leading_lines))
        counts.append(len(split_lines(model.code(h))))
    if any(first + count != after for first, count, after in zip(firsts, counts, firsts[1:])):
        return None  # handlers that share a line: nothing to move as lines
    code = model.module.code
    lines = split_lines(code)
    start, end = firsts[0], firsts[-1] + counts[-1] - 1
    if end > len(lines):
        return None
    newline = newline_of(code)
    blocks = ["".join(lines[first - 1 : first - 1 + count]) for first, count in zip(firsts, counts)]
    blocks = [block if block.endswith(("\n", "\r")) else block + newline for block in blocks]
    moved = [blocks[-1], *blocks[:-1]]
    content = _drop_line_ending("".join(moved))  # the span stops before the last line's ending
    span = Span(start, 1, end, len(_drop_line_ending(lines[end - 1])) + 1)
    assert handler.type is not None  # an unreachable clause names what it catches
    broad = handlers[target]
    broad_text = "except:" if broad.type is None else f"except {model.code(broad.type)}"
    message = f"Move `except {model.code(handler.type)}` above `{broad_text}`"
    return Fix(message, (Edit(span, content),), safe=True)


def _drop_line_ending(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith(("\n", "\r")) else text
