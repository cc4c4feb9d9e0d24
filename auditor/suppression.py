"""Suppression comments: `# noqa: ANT401`, `# auditor: ignore[ANT401]`, `# auditor: ignore-file[...]`.

Comments are read with `tokenize`, so a `# noqa` inside a string literal is not a suppression;
the tokenizer runs only on files whose text mentions one of the markers at all.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_MARKERS = re.compile(r"#\s*(?:noqa|auditor\s*:)", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9]+(?:[,\s]+[A-Za-z0-9]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*auditor\s*:\s*ignore(?P<file>-file)?(?:\[(?P<codes>[^\]]*)\])?")

ALL = "*"


@dataclass
class Suppressions:
    """Per line: the codes silenced there (`*` for all); per file: codes silenced everywhere."""

    lines: dict[int, set[str]] = field(default_factory=dict)
    file: set[str] = field(default_factory=set)
    # The line each file-level code was written on, to point at an unused one.
    file_lines: dict[str, int] = field(default_factory=dict)
    # (line, code) pairs that silenced something, for reporting unused ones.
    used: set[tuple[int, str]] = field(default_factory=set)

    def silences(self, code: str, line: int) -> bool:
        if ALL in self.file or code in self.file:
            self.used.add((0, ALL if ALL in self.file else code))
            return True
        codes = self.lines.get(line)
        if codes and (ALL in codes or code in codes):
            self.used.add((line, code if code in codes else ALL))
            return True
        return False

    def unused(self) -> list[tuple[int, str]]:
        """(line, code) of each ignore that silenced nothing (`*` for a blanket one)."""
        out = []
        for line, codes in sorted(self.lines.items()):
            out += [(line, code) for code in sorted(codes) if (line, code) not in self.used]
        out += [(self.file_lines.get(code, 1), code) for code in sorted(self.file) if (0, code) not in self.used]
        return out


def _codes(text: str | None) -> set[str]:
    if text is None or not text.strip():
        return {ALL}
    return {code.upper() for code in re.split(r"[,\s]+", text.strip()) if code}


def parse_suppressions(source: str) -> Suppressions:
    found = Suppressions()
    if not _MARKERS.search(source):
        return found
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        line = token.start[0]
        for match in _IGNORE.finditer(token.string):
            codes = _codes(match.group("codes"))
            if match.group("file"):
                found.file |= codes
                for code in codes:
                    found.file_lines.setdefault(code, line)
            else:
                found.lines.setdefault(line, set()).update(codes)
        noqa = _NOQA.search(token.string)
        if noqa:
            codes = _codes(noqa.group("codes"))
            # `# noqa: E501` is another linter's: keep only our codes, or the bare form.
            ours = {c for c in codes if c == ALL or c.startswith("ANT")}
            if ours:
                found.lines.setdefault(line, set()).update(ours)
    return found
