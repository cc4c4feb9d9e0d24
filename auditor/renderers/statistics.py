"""`--statistics`: a count per rule instead of the findings, in the formats a count fits.

The terminal formats (`full`, `concise`) print aligned columns, `json` an array of
`{code, name, count, fixable}` (ruff's keys), `json-lines` one such object per line, `markdown`
a table. The formats that annotate files (`sarif`, `github`, `gitlab`, `junit`) carry findings
with their places, which counts do not have: the command refuses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from auditor.findings import Finding

FORMATS = ("full", "concise", "json", "json-lines", "markdown")


@dataclass(frozen=True)
class Statistic:
    code: str
    name: str
    count: int
    fixable: bool  # at least one of these findings has a fix that `--fix` applies in this run


def statistics(findings: list[Finding], fixable: Callable[[Finding], bool]) -> list[Statistic]:
    """One row per rule, the most frequent first, then by code."""
    rows: dict[str, Statistic] = {}
    for finding in findings:
        row = rows.get(finding.code, Statistic(finding.code, finding.name, 0, False))
        rows[finding.code] = Statistic(row.code, row.name, row.count + 1, row.fixable or fixable(finding))
    return sorted(rows.values(), key=lambda row: (-row.count, row.code))


def render_statistics(rows: list[Statistic], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([asdict(row) for row in rows], indent=2) + "\n"
    if fmt == "json-lines":
        return "".join(json.dumps(asdict(row)) + "\n" for row in rows)
    if fmt == "markdown":
        table = ["| count | code | name | fixable |", "|---:|---|---|---|"]
        table += [f"| {row.count} | {row.code} | `{row.name}` | {'yes' if row.fixable else 'no'} |" for row in rows]
        return "\n".join(table) + "\n"
    width = max((len(str(row.count)) for row in rows), default=1)
    return "".join(f"{row.count:>{width}}  {row.code}  {'[*] ' if row.fixable else ''}{row.name}\n" for row in rows)
