"""The README's tables that the code can write: the rules (from the rule classes) and the
options of `auditor check` (from its click options). Each sits between two markers:

    <!-- generated: rules -->
    ...
    <!-- end generated: rules -->

`python scripts/readme_tables.py` rewrites them in README.md; `--check` only compares, and exits
1 naming each table that is out of step (the test suite runs that check).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _cell(text: str) -> str:
    """One table cell: on one line, its `|` escaped (GFM splits cells before code spans)."""
    return " ".join(text.split()).replace("|", "\\|")


def rules_table() -> str:
    from auditor.rule import all_rules

    lines = ["| code | name | severity | fix | what it reports |", "|---|---|---|---|---|"]
    for rule in all_rules().values():
        lines.append(f"| {rule.code} | {rule.name} | {rule.severity.value} | {rule.fix_safety or ''} | {_cell(rule.summary)} |")
    return "\n".join(lines) + "\n"


def check_options_table() -> str:
    import click

    from auditor.cli import check

    context = click.Context(check, info_name="check")
    lines = ["| option | meaning |", "|---|---|"]
    for param in check.get_params(context):
        record = param.get_help_record(context) if isinstance(param, click.Option) and not param.hidden else None
        if record is None or "--help" in param.opts:
            continue
        names, help_text = record
        lines.append(f"| `{_cell(names)}` | {_cell(help_text)} |")
    return "\n".join(lines) + "\n"


TABLES: dict[str, Callable[[], str]] = {"rules": rules_table, "check options": check_options_table}


def _section(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {re.escape(name)} -->\n)(.*?)(<!-- end generated: {re.escape(name)} -->)", re.DOTALL)


def out_of_step(text: str) -> list[str]:
    """The names of the tables whose text in `text` is not what the code writes (or missing)."""
    stale = []
    for name, make in TABLES.items():
        found = _section(name).search(text)
        if found is None or found.group(2) != make():
            stale.append(name)
    return stale


def regenerate(text: str) -> str:
    for name, make in TABLES.items():
        table = make()
        text = _section(name).sub(lambda found: found.group(1) + table + found.group(3), text)
    return text


def main(argv: list[str]) -> int:
    path = Path(argv[argv.index("--readme") + 1]) if "--readme" in argv else README
    text = path.read_text(encoding="utf-8")
    if "--check" in argv:
        stale = out_of_step(text)
        for name in stale:
            print(f"{path}: the {name} table is out of step with the code: run python scripts/readme_tables.py", file=sys.stderr)
        return 1 if stale else 0
    path.write_text(regenerate(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
