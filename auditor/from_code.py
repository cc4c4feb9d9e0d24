"""`auditor live-check --from-code PATH`: the timeout and max_retries the code actually ships,
read by the same static analysis as `auditor check` (the SDK model's client rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.inventory_render import show_fact, show_timeout


class FromCodeProblem(Exception):
    """The code does not name exactly one usable client configuration: exit 2, nothing sent."""


def client_settings(path: Path) -> tuple[float, int, str]:
    """(timeout, max_retries, where) of the one client configuration found under `path`."""
    from auditor.api import CheckOptions, check_files
    from auditor.config import ConfigResolver

    if not path.exists():
        raise FromCodeProblem(f"--from-code: {path} does not exist")
    resolver = ConfigResolver(None)
    results = check_files([path], resolver.for_path, CheckOptions(inventory=True, file_time_limit=0))
    rows: list[dict[str, Any]] = [row for r in results if r.inventory for row in r.inventory["clients"]]
    if not rows:
        raise FromCodeProblem(f"--from-code: no SDK client is built in {path}")
    configurations = {_configuration(row) for row in rows}
    if len(configurations) != 1:
        found = "; ".join(
            f"{row['path']}:{row['line']} {row['class']}(timeout={show_timeout(row['timeout'])}, "
            f"max_retries={show_fact(row['max_retries'])})"
            for row in rows
        )
        raise FromCodeProblem(f"--from-code: {len(configurations)} different client configurations in {path}, pick one with --timeout and --max-retries: {found}")
    row = rows[0]
    timeout, retries = row["timeout"], row["max_retries"]
    where = f"{row['path']}:{row['line']}"
    if timeout["source"] is None or retries["source"] is None:
        unknown = timeout if timeout["source"] is None else retries
        raise FromCodeProblem(f"--from-code: the client at {where} has settings auditor cannot read ({unknown['reason']})")
    if timeout["value"] is None:
        raise FromCodeProblem(f"--from-code: the client at {where} has no timeout (timeout=None): fix that first (ANT402)")
    return float(timeout["value"]), int(retries["value"]), where


def _configuration(row: dict[str, Any]) -> tuple[object, object]:
    timeout, retries = row["timeout"], row["max_retries"]
    return (timeout["value"], timeout["source"] is None and timeout["reason"]), (retries["value"], retries["source"] is None and retries["reason"])
