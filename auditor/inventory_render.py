"""How `auditor inventory` prints its report: text (fits the terminal), markdown, JSON."""

from __future__ import annotations

import json
from typing import Any

RETRY_AFTER_NOTE = "worst cases assume no `retry-after` from the server: one can lengthen the SDK's waits"


def seconds(value: float) -> str:
    return f"{value:,.1f} s" if value % 1 else f"{value:,.0f} s"


def show_fact(item: dict[str, Any], unit: str = "") -> str:
    if item["source"] is None:
        return f"unknown ({item['reason']})"
    value = item["value"]
    text = seconds(value) if unit == "s" and isinstance(value, (int, float)) else f"{value:,}" if isinstance(value, int) else str(value)
    maybe = "may be " if not item["certain"] else ""
    return f"{maybe}{text}" + ("" if item["source"] == "literal" else f" ({item['source']})")


def show_timeout(item: dict[str, Any]) -> str:
    if item["source"] is not None and item["value"] is None:
        return "none (can block forever)" + ("" if item["source"] == "literal" else f" ({item['source']})")
    return show_fact(item, "s")


def show_requests(row: dict[str, Any]) -> str:
    figure = row["requests"]
    if figure["unbounded"]:
        return "unbounded"
    if figure["value"] is None:
        return f"unknown ({figure['reason']})"
    return f"{figure['value']:,}" + (f" ({figure['reason']})" if figure["reason"] else "")


def show_wall_time(row: dict[str, Any]) -> str:
    figure = row["wall_time"]
    if figure["unbounded"]:
        return f"unbounded ({figure['reason']})"
    if figure["value"] is None:
        return f"not bounded by a total ({figure['reason']})" if row["streamed"] else f"unknown ({figure['reason']})"
    return seconds(figure["value"]) + (f" ({figure['reason']})" if figure["reason"] else "")


def where(row: dict[str, Any]) -> str:
    """`path:line`, or `path:cell 3:2` for a row of a notebook."""
    cell = f"cell {row['cell']}:" if row.get("cell") is not None else ""
    return f"{row['path']}:{cell}{row['line']}"


def at_line(item: dict[str, Any]) -> str:
    """`line 18`, or `cell 3, line 2` in a notebook."""
    cell = f"cell {item['cell']}, " if item.get("cell") is not None else ""
    return f"{cell}line {item['line']}"


def show_client(row: dict[str, Any]) -> str:
    if not row["clients"]:
        return "unresolved"
    text = ", ".join(f"{c['class']}() at {at_line(c)}" for c in row["clients"])
    return text if row["clients_complete"] else f"{text} or another"


def show_handlers(row: dict[str, Any]) -> str:
    if not row["handlers"]:
        return "none: errors propagate"
    return "; ".join(f"{', '.join(h['catches'])} ({at_line(h)})" for h in row["handlers"])


def show_retries(row: dict[str, Any]) -> str:
    if not row["retries"]:
        return "SDK only"
    parts = []
    for retry in row["retries"]:
        bound = "unbounded" if retry["unbounded"] else f"{retry['attempts']} attempts" if retry["attempts"] else "bound unknown"
        what = retry["library"] + " " + retry["kind"] if retry["library"] else retry["kind"]
        parts.append(f"{what} at {at_line(retry)} ({bound})")
    return "; ".join(parts)


def _streamed(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def render_text(report: dict[str, Any], width: int = 100) -> str:
    lines = [f"Clients ({len(report['clients'])})"]
    table = [["LOCATION", "CLASS", "TIMEOUT", "MAX RETRIES", "FINDINGS"]]
    for row in report["clients"]:
        kind = f"{row['class']}.with_options/copy" if row["kind"] == "derived" else row["class"]
        table.append([where(row), kind, show_timeout(row["timeout"]), show_fact(row["max_retries"]), " ".join(row["findings"])])
    lines += _table(table, width) if report["clients"] else ["  none"]
    lines += ["", f"Calls ({len(report['calls'])})"]
    for row in report["calls"]:
        findings = f"  [{' '.join(row['findings'])}]" if row["findings"] else ""
        lines.append(f"{where(row)}  {row['function']}  {row['operation']}{findings}")
        for label, value in (
            ("client", show_client(row)),
            ("model", show_fact(row["model"])),
            ("streamed", _streamed(row["streamed"])),
            ("max_tokens", show_fact(row["max_tokens"])),
            ("timeout", show_timeout(row["timeout"])),
            ("max_retries", show_fact(row["max_retries"])),
            ("retries", show_retries(row)),
            ("requests", show_requests(row)),
            ("wall time", show_wall_time(row)),
            ("handlers", show_handlers(row)),
        ):
            lines.append(_clip(f"    {label:<12} {value}", width))
        lines.append("")
    if not report["calls"]:
        lines += ["  none", ""]
    lines += _summary_text(report)
    return "\n".join(lines) + "\n"


def _summary_text(report: dict[str, Any]) -> list[str]:
    summary = report["summary"]
    lines = [
        "Summary",
        f"  {summary['clients']} clients, {summary['calls']} calls, {summary['streamed']} streamed",
        f"  timeouts: {summary['timeout_set']} set, {summary['timeout_default']} on the 600 s SDK default, "
        f"{summary['timeout_none']} can block forever, {summary['timeout_unknown']} unknown",
    ]
    for title, key, show in (("longest wall time", "longest_wall_time", show_wall_time), ("most requests", "most_requests", show_requests)):
        if summary[key]:
            lines.append(f"  {title}:")
            for item in summary[key]:
                text = show({**item, "streamed": False})
                lines.append(f"    {text:<28} {where(item)} {item['operation']}")
    if report["errors"]:
        lines.append(f"  {len(report['errors'])} files could not be read or parsed:")
        lines += [f"    {where(e)}: {e['message']}" for e in report["errors"]]
    lines.append(f"  Note: {RETRY_AFTER_NOTE}.")
    return lines


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 10)] + "…"


def _table(rows: list[list[str]], width: int) -> list[str]:
    """Aligned columns; when too wide for the terminal, the widest columns give way first (the
    location, the first column, never: it is what a reader looks for)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    budget = width - 2 - 2 * (len(widths) - 1)
    while sum(widths) > budget and max(widths[1:]) > 12:
        widest = widths.index(max(widths[1:]), 1)
        widths[widest] -= 1
    out = []
    for row in rows:
        cells = [cell if len(cell) <= w else cell[: w - 1] + "…" for cell, w in zip(row, widths)]
        out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(cells, widths)).rstrip())
    return out


def render_markdown(report: dict[str, Any]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = ["## auditor inventory", "", f"### Clients ({len(report['clients'])})", ""]
    if report["clients"]:
        out += ["| location | class | timeout | max_retries | findings |", "|---|---|---|---|---|"]
        for row in report["clients"]:
            out.append(
                f"| `{where(row)}` | {row['class']}{' (derived)' if row['kind'] == 'derived' else ''} | "
                f"{cell(show_timeout(row['timeout']))} | {cell(show_fact(row['max_retries']))} | {' '.join(row['findings'])} |"
            )
    out += ["", f"### Calls ({len(report['calls'])})", ""]
    if report["calls"]:
        out += [
            "| location | function | operation | streamed | max_tokens | timeout | max_retries | requests | wall time | handlers | findings |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in report["calls"]:
            out.append(
                f"| `{where(row)}` | `{row['function']}` | `{row['operation']}` | {_streamed(row['streamed'])} | "
                f"{cell(show_fact(row['max_tokens']))} | {cell(show_timeout(row['timeout']))} | {cell(show_fact(row['max_retries']))} | "
                f"{cell(show_requests(row))} | {cell(show_wall_time(row))} | {cell(show_handlers(row))} | {' '.join(row['findings'])} |"
            )
    out += ["", "### Summary", ""] + [line.strip() and f"- {line.strip()}" for line in _summary_text(report)[1:]]
    return "\n".join(out) + "\n"


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
