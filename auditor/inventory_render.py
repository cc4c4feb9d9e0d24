"""How `auditor inventory` prints its report: text (fits the terminal), markdown, JSON."""

from __future__ import annotations

import json
import textwrap
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
    """`line 18`, `cell 3, line 2` in a notebook, `app/clients.py:12` in another module."""
    if item.get("path") is not None:
        return f"{item['path']}:{item['line']}"
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


def render_text(report: dict[str, Any], width: int = 80) -> str:
    """Aligned text that fits `width` columns: values wrap onto indented lines and only a
    location longer than a whole line is shortened (from the left); a fact is never cut. The
    clients are a table when it fits, else one block each, like the calls."""
    width = max(width, MIN_WIDTH)
    lines = [f"Clients ({len(report['clients'])})"]
    rows = [[where(row), _client_class(row), show_timeout(row["timeout"]), show_fact(row["max_retries"]), " ".join(row["findings"])] for row in report["clients"]]
    table = _table([["LOCATION", "CLASS", "TIMEOUT", "MAX RETRIES", "FINDINGS"], *rows], width)
    if not report["clients"]:
        lines.append("  none")
    elif table is not None:
        lines += table
    else:
        for row, (location, kind, timeout, max_retries, findings) in zip(report["clients"], rows):
            lines += _block(location, [kind], row["findings"], [("timeout", timeout), ("max_retries", max_retries)], width)
        lines.pop()  # the blank line after the last block: the section's own follows
    lines += ["", f"Calls ({len(report['calls'])})"]
    for row in report["calls"]:
        fields = [
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
        ]
        lines += _block(where(row), [row["function"], row["operation"]], row["findings"], fields, width)
    if not report["calls"]:
        lines += ["  none", ""]
    lines += _summary_text(report, width)
    return "\n".join(lines) + "\n"


MIN_WIDTH = 40
_LABEL = 12  # the label column of a block: "max_retries" and a space


def _client_class(row: dict[str, Any]) -> str:
    return f"{row['class']}.with_options/copy" if row["kind"] == "derived" else str(row["class"])


def _block(location: str, names: list[str], findings: list[str], fields: list[tuple[str, str]], width: int) -> list[str]:
    """A head line (location, names, [codes]) and one labelled line per field, wrapped."""
    codes = [f"[{' '.join(findings)}]"] if findings else []
    head = _wrap("  ".join([_fit(location, width), *names, *codes]), width, 4)
    body = [line for label, value in fields for line in _wrap(f"    {label:<{_LABEL}} {value}", width, 4 + _LABEL + 1)]
    return [*head, *body, ""]


def _wrap(text: str, width: int, indent: int) -> list[str]:
    """Lines of at most `width` columns, continued under `indent`; words are never broken (a
    word wider than the room left stays whole, on a line of its own)."""
    lines = textwrap.wrap(text, width, subsequent_indent=" " * indent, break_long_words=False, break_on_hyphens=False)
    return [line.replace(_KEEP, " ") for line in lines] or [""]


_KEEP = "\u00a0"  # a space that does not break: inside a location (`nb.ipynb:cell 4:3`)


def _fit(location: str, room: int) -> str:
    """A location that fits in `room` columns, kept in one piece by `_wrap`: `…` and its tail
    (the file and line) when it is longer."""
    shown = location if len(location) <= room else "…" + location[-(room - 1) :]
    return shown.replace(" ", _KEEP)


def _summary_text(report: dict[str, Any], width: int = 80) -> list[str]:
    summary = report["summary"]
    lines = [
        "Summary",
        f"  {summary['clients']} clients, {summary['calls']} calls, {summary['streamed']} streamed",
        *_wrap(
            f"  timeouts: {summary['timeout_set']} set, {summary['timeout_default']} on the 600 s SDK default, "
            f"{summary['timeout_none']} can block forever, {summary['timeout_unknown']} unknown",
            width,
            4,
        ),
    ]
    for title, key, show in (("longest wall time", "longest_wall_time", show_wall_time), ("most requests", "most_requests", show_requests)):
        if summary[key]:
            lines.append(f"  {title}:")
            figures = [show({**item, "streamed": False}) for item in summary[key]]
            column = max((len(f) for f in figures if len(f) <= 16), default=0)
            for figure, item in zip(figures, summary[key]):
                lines += _wrap(f"    {figure:<{column}}  {_fit(where(item), width - 6 - column)} {item['operation']}", width, 6 + column)
    if report["errors"]:
        lines.append(f"  {len(report['errors'])} files could not be read or parsed:")
        lines += [line for e in report["errors"] for line in _wrap(f"    {_fit(where(e), width - 7)}: {e['message']}", width, 6)]
    lines += _wrap(f"  Note: {RETRY_AFTER_NOTE}.", width, 8)
    return lines


def _table(rows: list[list[str]], width: int) -> list[str] | None:
    """Aligned columns, or None when they do not fit `width` whole."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    if 2 + sum(widths) + 2 * (len(widths) - 1) > width:
        return None
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


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
    out += ["", "### Summary", ""] + [line.strip() and f"- {line.strip()}" for line in _summary_text(report, 10_000)[1:]]
    return "\n".join(out) + "\n"


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
