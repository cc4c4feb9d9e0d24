from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class UnusedSuppression(Rule):
    """A suppression comment that silences nothing, or names no rule.

    ## What it does
    With `--report-unused-ignores` (or `report-unused-ignores = true`), reports each code,
    prefix or rule name of a `# noqa: ANT...`, `# auditor: ignore[...]` or
    `# auditor: ignore-file[...]` that silenced no finding in this run, each blanket `# noqa` /
    `# auditor: ignore` that silenced nothing, and each code or name that is no auditor rule (a
    typo such as `ANT410` or `timeout-disbled`), at the column where the comment's directive
    starts. Codes of other linters (`# noqa: E501`) are never reported, nor selectors whose
    rules are all turned off in this run.

    ## Why is this bad?
    A stale suppression hides the next real finding on that line; a misspelt one suppresses
    nothing while looking as if it did.

    ## Example
    ```python
    client = anthropic.Anthropic(timeout=30)  # noqa: ANT402
    ```

    Use instead:
    ```python
    client = anthropic.Anthropic(timeout=30)
    ```

    ## Options
    - `report-unused-ignores` (default false), or the `--report-unused-ignores` flag.
    """

    code = "ANT001"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "With `--report-unused-ignores`: a suppression that silences nothing, or names no rule"
    options = ("report-unused-ignores",)

    def check(self, model: SdkModel) -> Iterator[Report]:
        # The engine reports these after suppressions are applied; there is nothing to do here.
        return iter(())
