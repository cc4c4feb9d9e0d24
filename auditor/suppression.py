"""Suppression comments: `# noqa: ANT401`, `# auditor: ignore[ANT401]`, `# auditor: ignore-file[...]`.

`# auditor: ignore[...]` takes codes, prefixes (`ANT4`) and rule names (`timeout-disabled`);
`# noqa:` takes codes and prefixes, and only ours (`# noqa: E501` is another linter's). A line
suppression covers the findings on its own line and, written on the first line of a statement,
every finding of that statement (the engine passes both lines).

Comments are read with `tokenize`, so a `# noqa` inside a string literal is not a suppression;
the tokenizer runs only on files whose text mentions one of the markers at all.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

_MARKERS = re.compile(r"#\s*(?:noqa|auditor\s*:)", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9]+(?:[,\s]+[A-Za-z0-9]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*auditor\s*:\s*ignore(?P<file>-file)?(?:\[(?P<codes>[^\]]*)\])?")
_CODE_LIST = re.compile(r"[A-Za-z]+\d+(?:[,\s]+[A-Za-z]+\d+)*")  # `ANT402, E501`, not the prose after it
_PREFIX = re.compile(r"ANT\d{0,3}")

ALL = "*"


@dataclass(frozen=True)
class Directive:
    """One suppression as written: where (1-based line and columns of the directive inside its
    comment), what it names (`*` for every rule), and whether it covers the whole file."""

    line: int
    column: int
    end_column: int
    selectors: tuple[str, ...]
    whole_file: bool = False


def matches(selector: str, code: str, name: str) -> bool:
    """Does a suppression's selector name this rule: `*`, `ALL`, its name, its code or a prefix of it?"""
    return selector in (ALL, "ALL", name) or (_PREFIX.fullmatch(selector) is not None and code.startswith(selector))


@dataclass
class Suppressions:
    """The directives of one file, by line, and which of their selectors silenced something."""

    by_line: dict[int, list[Directive]] = field(default_factory=dict)
    whole_file: list[Directive] = field(default_factory=list)
    used: set[tuple[Directive, str]] = field(default_factory=set)

    def silences(self, code: str, name: str, lines: Iterable[int]) -> bool:
        """Whether a file-level directive, or one on any of `lines` (the finding's own line, then
        the first line of its statement), names the rule. The first that does is marked used."""
        candidates = [*self.whole_file, *(d for line in dict.fromkeys(lines) for d in self.by_line.get(line, ()))]
        for directive in candidates:
            named = [s for s in directive.selectors if matches(s, code, name)]
            if named:
                self.used.update((directive, selector) for selector in named)
                return True
        return False

    def unused(self) -> list[tuple[Directive, str]]:
        """Each selector that silenced nothing (`*` for a blanket directive), in file order."""
        directives = sorted([*self.whole_file, *(d for line in self.by_line.values() for d in line)], key=lambda d: (d.line, d.column))
        return [(d, s) for d in directives for s in d.selectors if (d, s) not in self.used]


def _selectors(text: str | None) -> tuple[str, ...]:
    """Codes and prefixes upper-cased (`ant4` is `ANT4`); names as written."""
    if text is None or not text.strip():
        return (ALL,)
    words = [word for word in re.split(r"[,\s]+", text.strip()) if word]
    return tuple(dict.fromkeys(word.upper() if _PREFIX.fullmatch(word.upper()) else word for word in words))


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
        line, offset = token.start
        for match in _IGNORE.finditer(token.string):
            directive = Directive(line, offset + match.start() + 1, offset + match.end() + 1, _selectors(match.group("codes")), bool(match.group("file")))
            if directive.whole_file:
                found.whole_file.append(directive)
            else:
                found.by_line.setdefault(line, []).append(directive)
        noqa = _NOQA.search(token.string)
        if noqa:
            # `# noqa: E501` is another linter's: keep only our codes, or the bare form.
            ours = tuple(s for s in _selectors(noqa.group("codes")) if s == ALL or s.startswith("ANT"))
            if ours:
                found.by_line.setdefault(line, []).append(Directive(line, offset + noqa.start() + 1, offset + noqa.end() + 1, ours))
    return found


def listed_codes_end(comment: str) -> int | None:
    """Where, in a comment, the code list of a line suppression of ours ends (`# auditor:
    ignore[...]`, or a `# noqa:` that names an auditor code): a new code is added there."""
    for match in _IGNORE.finditer(comment):
        if not match.group("file") and (match.group("codes") or "").strip():
            return match.end("codes")
    noqa = _NOQA.search(comment)
    listed = _CODE_LIST.match(comment, noqa.start("codes")) if noqa and noqa.group("codes") else None
    if listed and re.search(r"\bANT\d", listed.group(), re.IGNORECASE):
        return listed.end()
    return None
