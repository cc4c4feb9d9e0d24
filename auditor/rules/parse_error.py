from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class ParseError(Rule):
    """A file that auditor cannot read or parse.

    ## What it does
    Reports a file that is not valid UTF-8 Python, is binary, cannot be read, or that the parser
    (libcst) rejects, with the line and the parser's own message; a path that is not a regular
    file (a FIFO, a socket, a device); an invalid notebook; and a file too large or too deeply
    nested to analyse safely (over 2 MiB, brackets nested deeper than 200 levels, an expression
    chained deeper than 1,000), or whose analysis crashed the parser, ran past its time limit or
    out of memory. Each says why. The run goes on with the other files.

    ## Why is this bad?
    A file that cannot be parsed is a file that was not checked: a clean run would be a false
    promise. libcst also rejects a few files that CPython accepts (for example a parenthesised
    annotated target such as `(x): int = 1`); those are reported the same way.

    ## Example
    ```python
    import anthropic
    client = anthropic.Anthropic(
    ```
    `ANT000 syntax error: '(' was never closed`: fix the file, or exclude it if it is not
    meant to be Python.

    ## Options
    Only `per-file-ignores` silences it: a suppression comment cannot be read in a file that
    cannot be parsed.
    """

    code = "ANT000"
    name = "parse-error"
    severity = Severity.ERROR
    summary = "A file that cannot be read or parsed (reported, never a crash; the run goes on)"

    def check(self, model: SdkModel) -> Iterator[Report]:
        # The engine reports parse failures itself; there is nothing to look at in a parsed module.
        return iter(())
