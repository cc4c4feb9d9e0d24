"""The README's tables that the code can write: the rules (from the rule classes), the
options of `auditor check` (from its click options), and the quick start's sample report (what
`auditor check` prints for one file of the example project). Each sits between two markers:

    <!-- generated: rules -->
    ...
    <!-- end generated: rules -->

`python scripts/readme_tables.py` rewrites them in README.md; `--check` only compares, and exits
1 naming each table that is out of step (the test suite runs that check).
"""

from __future__ import annotations

import os
import re
import subprocess
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


# The sample report: run as a user runs it, from the repository root, in a process of its own.
SAMPLE = ("check", "--no-cache", "--color", "never", "examples/support_bot/agent.py")


def sample_report() -> str:
    """The full report of one example file, in a fenced block: the quick start shows the format."""
    keep = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS", "FORCE_COLOR", "NO_COLOR")}
    done = subprocess.run([sys.executable, "-m", "auditor", *SAMPLE], cwd=README.parent, env=keep, capture_output=True, text=True, timeout=120)
    return f"```console\n$ auditor check {SAMPLE[-1]}\n{done.stdout}```\n"


TABLES: dict[str, Callable[[], str]] = {"rules": rules_table, "check options": check_options_table, "quick start output": sample_report}


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
