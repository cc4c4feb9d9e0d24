"""`auditor inventory`: every SDK client and generation call, the settings in force, and the
worst case of each call, read from the SDK model (the same facts the rules use).

Each file's part is a plain JSON-able dict built next to its findings (so it travels through
worker processes and the cache like them). A value the model cannot prove is `null` with the
reason, never a guess: `{"value": null, "source": null, "reason": "..."}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst as cst

    from auditor.findings import Finding
    from auditor.notebook import Notebook
    from auditor.analysis.values import Known, Source, Unknown
    from auditor.sdk.facts import ClientConfig, SdkCall, Setting
    from auditor.sdk.model import SdkModel

SCHEMA_VERSION = 1


def fact(value: object, source: Source | None, reason: str | None = None, certain: bool = True) -> dict[str, Any]:
    """A value as the reports show it: the provenance rendered ("constant X on line 3")."""
    return {"value": value, "source": None if source is None else str(source), "reason": reason, "certain": certain}


def _setting(setting: Setting) -> dict[str, Any]:
    if not setting.known:
        return fact(None, None, setting.reason)
    return fact(setting.value, setting.source, None, setting.certain)


def _known(value: Known | Unknown) -> dict[str, Any]:
    from auditor.analysis.values import Known, is_absent

    if isinstance(value, Known):
        return fact(value.value, value.source, None, value.certain)
    return fact(None, None, "not given" if is_absent(value) else value.reason)


def file_inventory(model: SdkModel, findings: list[Finding]) -> dict[str, Any]:
    """The clients and calls of one module, each with the codes of the findings on it."""
    clients = [_client_row(model, config) for config in model.client_configs]
    calls = [_call_row(model, call) for call in model.sdk_calls + model.unresolved_calls]
    calls.sort(key=lambda row: row["_span"])
    _attach_findings(model, clients, calls, findings)
    for row in (*clients, *calls):
        row.pop("_span")
        row.pop("_related", None)
    return {"clients": clients, "calls": calls}


def _span(model: SdkModel, node: cst.CSTNode) -> tuple[int, int, int, int]:
    position = model.position(node)
    return (position.start.line, position.start.column + 1, position.end.line, position.end.column + 1)


def _client_row(model: SdkModel, config: ClientConfig) -> dict[str, Any]:
    span = _span(model, config.node)
    timeout, max_retries = model.client_timeout(config), model.client_max_retries(config)
    derived = None
    if config.parent is not None:
        derived = [model.line(parent.node) for parent in config.parent.configs] or None
    return {
        "path": model.path,
        "line": span[0],
        "column": span[1],
        "function": model.function_name(config.node),
        "class": config.class_name,
        "kind": "derived" if config.derived else "construction",
        "derived_from_lines": derived,
        "timeout": _setting(timeout),
        "max_retries": _setting(max_retries),
        "findings": [],
        "_span": span,
        # A setting can be written outside the construction (`**self._client_params()`).
        "_related": [
            _span(model, s.node)
            for s in (timeout, max_retries)
            if s.node is not None and model.facts.located(s.node)
        ],
    }


def _call_client(model: SdkModel, config: ClientConfig) -> dict[str, Any]:
    """The client a call goes through: its line here, or its file and line in the module of
    the project that builds it."""
    if config.external is None:
        return {"line": model.line(config.node), "class": config.class_name}
    path, _, line = config.external.where.rpartition(":")
    if not line.isdigit():
        path, line = config.external.where, "1"
    return {"line": int(line), "class": config.class_name, "path": path}


def _call_row(model: SdkModel, call: SdkCall) -> dict[str, Any]:
    span = _span(model, call.node)
    timeout, max_retries = model.settings_in_force(call)
    worst = model.worst_case(call)
    retries = model.retries_around(call)
    clients = [_call_client(model, c) for c in call.clients.configs]
    return {
        "path": model.path,
        "line": span[0],
        "column": span[1],
        "function": model.function_name(call.node),
        "operation": call.operation,
        "clients": clients,
        "clients_complete": call.clients.complete and bool(clients),
        "model": _known(call.arguments.constant("model")),
        "streamed": model.streamed(call),
        "max_tokens": _known(model.max_tokens(call)),
        "timeout": _setting(timeout),
        "max_retries": _setting(max_retries),
        "retries": [
            {
                "kind": retry.kind,
                "line": model.line(retry.node),
                "attempts": retry.attempts,
                "unbounded": retry.unbounded,
                "library": retry.library or None,
            }
            for retry in retries
        ],
        "requests": {"value": worst.requests, "unbounded": worst.requests_unbounded, "reason": worst.requests_reason or None},
        "wall_time": {"value": worst.seconds, "unbounded": worst.seconds_unbounded, "reason": worst.seconds_reason or None},
        "handlers": [
            {"line": model.line(handler), "catches": [c.name or "bare except" for c in caught if c.kind != "other"]}
            for handler, caught in model.handlers_around(call.node)
        ],
        "findings": [],
        "_span": span,
        "_related": _related_spans(model, call, retries),
    }


def _related_spans(model: SdkModel, call: SdkCall, retries: list[Any]) -> list[tuple[int, int, int, int]]:
    """Where findings about this call can sit outside its own span: its retries (the loop, the
    decorator, the exception classes they retry on) and the handlers around it."""
    nodes: list[cst.CSTNode] = []
    for retry in retries:
        nodes.append(retry.node)
        nodes.extend(retry.handlers)
        nodes.extend(c.node for c in retry.retried_on or ())
    nodes.extend(handler for handler, _ in model.handlers_around(call.node))
    own_timeout = model.call_timeout(call)
    if own_timeout is not None and own_timeout.node is not None and model.facts.located(own_timeout.node):
        nodes.append(own_timeout.node)  # `create(**self._request())` writes it in the helper
    return [_span(model, node) for node in nodes]


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return (outer[0], outer[1]) <= (inner[0], inner[1]) and (inner[2], inner[3]) <= (outer[2], outer[3])


def _attach_findings(model: SdkModel, clients: list[dict[str, Any]], calls: list[dict[str, Any]], findings: list[Finding]) -> None:
    """A finding belongs to the rows whose span holds it (the call, the client), else to the
    calls whose retry or handler holds it. Rows are indexed by line: a large module has
    thousands of both."""
    own: dict[int, list[tuple[tuple[int, int, int, int], dict[str, Any]]]] = {}
    related: dict[int, list[tuple[tuple[int, int, int, int], dict[str, Any]]]] = {}
    for row in (*clients, *calls):
        _index(own, row["_span"], row)
    for row in (*clients, *calls):
        for span in row["_related"]:
            _index(related, span, row)
    for finding in findings:
        span = (finding.span.line, finding.span.column, finding.span.end_line, finding.span.end_column)
        rows = [row for outer, row in own.get(span[0], ()) if _inside(span, outer)]
        if not rows:
            rows = [row for outer, row in related.get(span[0], ()) if _inside(span, outer)]
        for row in rows:
            if finding.code not in row["findings"]:
                row["findings"].append(finding.code)
    for row in (*clients, *calls):
        row["findings"].sort()


def place_in_cells(part: dict[str, Any], notebook: Notebook) -> None:
    """A notebook's rows: each line becomes the line inside its cell, with a `cell` key beside
    it (`derived_from_cells` beside `derived_from_lines`), and the facts' sources and reasons
    ("constant TIMEOUT on line 3") name the notebook's lines."""
    place = notebook.place

    def move(item: dict[str, Any]) -> None:
        item["cell"], item["line"], column = place(item["line"], item.get("column", 1))
        if "column" in item:
            item["column"] = column

    for row in part["clients"]:
        move(row)
        if row["derived_from_lines"]:
            placed = [place(line) for line in row["derived_from_lines"]]
            row["derived_from_lines"] = [line for _, line, _ in placed]
            row["derived_from_cells"] = [cell for cell, _, _ in placed]
    for row in part["calls"]:
        move(row)
        for item in (*row["clients"], *row["retries"], *row["handlers"]):
            move(item)
    _retell_facts(part, notebook.retell)


def _retell_facts(value: Any, retell: Callable[[str], str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("source", "reason") and isinstance(item, str):
                value[key] = retell(item)
            else:
                _retell_facts(item, retell)
    elif isinstance(value, list):
        for item in value:
            _retell_facts(item, retell)


def _index(index: dict[int, list[Any]], span: tuple[int, int, int, int], row: dict[str, Any]) -> None:
    for line in range(span[0], span[2] + 1):
        index.setdefault(line, []).append((span, row))


# ---------------------------------------------------------------------------------------------
# The whole run


def build_report(files: list[dict[str, Any]], errors: list[Finding], sort: str = "location") -> dict[str, Any]:
    """One document for the run: clients, calls, parse errors and the summary."""
    clients = [row for part in files for row in part["clients"]]
    calls = [row for part in files for row in part["calls"]]
    calls.sort(key=_sort_key(sort))
    return {
        "version": SCHEMA_VERSION,
        "clients": clients,
        "calls": calls,
        "errors": [_error(e) for e in errors],
        "summary": summarize(clients, calls),
    }


def _error(finding: Finding) -> dict[str, Any]:
    row: dict[str, Any] = {"path": finding.path, "line": finding.location.line, "message": finding.message}
    if finding.cell is not None:
        row["cell"] = finding.cell.number
    return row


def _sort_key(sort: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    def location(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["path"], row.get("cell", 0), row["line"], row["column"])

    def by_time(row: dict[str, Any]) -> tuple[Any, ...]:
        return (-_rank(row["wall_time"]), *location(row))

    def by_requests(row: dict[str, Any]) -> tuple[Any, ...]:
        return (-_rank(row["requests"]), *location(row))

    return {"time": by_time, "requests": by_requests}.get(sort, location)


def _rank(figure: dict[str, Any]) -> float:
    """Unbounded first, then the largest figures, then the unknown ones."""
    if figure["unbounded"]:
        return float("inf")
    return float(figure["value"]) if figure["value"] is not None else -1.0


def _cell(row: dict[str, Any]) -> dict[str, Any]:
    return {"cell": row["cell"]} if "cell" in row else {}


def summarize(clients: list[dict[str, Any]], calls: list[dict[str, Any]]) -> dict[str, Any]:
    def timeout_kind(row: dict[str, Any]) -> str:
        timeout = row["timeout"]
        if timeout["source"] is None:
            return "unknown"
        if timeout["value"] is None:
            return "none"
        return "default" if timeout["source"] == "SDK default" else "set"  # str(SDK_DEFAULT)

    kinds = [timeout_kind(row) for row in calls]

    def top(key: str) -> list[dict[str, Any]]:
        """The five calls with the largest figure, unbounded first."""
        return [
            {"path": row["path"], **_cell(row), "line": row["line"], "operation": row["operation"], key: row[key]}
            for row in sorted(calls, key=lambda r: (-_rank(r[key]), r["path"], r.get("cell", 0), r["line"]))
            if row[key]["unbounded"] or row[key]["value"] is not None
        ][:5]

    return {
        "clients": len(clients),
        "calls": len(calls),
        "streamed": sum(1 for row in calls if row["streamed"] is True),
        "timeout_set": kinds.count("set"),
        "timeout_default": kinds.count("default"),
        "timeout_none": kinds.count("none"),
        "timeout_unknown": kinds.count("unknown"),
        "longest_wall_time": top("wall_time"),
        "most_requests": top("requests"),
    }


# ---------------------------------------------------------------------------------------------
# The shape of one file's part, as the cache stores it (auditor.cache checks every entry against
# it before trusting it): a dict is an object with exactly these keys, a Record one that may also
# have its optional keys (a notebook's `cell`), [shape] an array, a tuple the alternatives (a JSON
# type, or a shape), ANY_VALUE any JSON value. Change it with the rows.


@dataclass(frozen=True)
class Record:
    required: dict[str, Any]
    optional: dict[str, Any]


ANY_VALUE = object()
_TEXT_OR_NULL: tuple[type, ...] = (str, type(None))
_IN_CELL = {"cell": (int,)}
_FACT: dict[str, Any] = {"value": ANY_VALUE, "source": _TEXT_OR_NULL, "reason": _TEXT_OR_NULL, "certain": (bool,)}
_FIGURE: dict[str, Any] = {"value": (int, float, type(None)), "unbounded": (bool,), "reason": _TEXT_OR_NULL}
_ROW: dict[str, Any] = {"path": (str,), "line": (int,), "column": (int,), "function": _TEXT_OR_NULL, "findings": [(str,)]}
CLIENT_ROW = Record(
    {
        **_ROW,
        "class": (str,),
        "kind": (str,),
        "derived_from_lines": ([(int,)], type(None)),
        "timeout": _FACT,
        "max_retries": _FACT,
    },
    {**_IN_CELL, "derived_from_cells": [(int,)]},
)
CALL_ROW = Record(
    {
        **_ROW,
        "operation": (str,),
        "clients": [Record({"line": (int,), "class": (str,)}, {**_IN_CELL, "path": (str,)})],
        "clients_complete": (bool,),
        "model": _FACT,
        "streamed": (bool, type(None)),
        "max_tokens": _FACT,
        "timeout": _FACT,
        "max_retries": _FACT,
        "retries": [
            Record(
                {"kind": (str,), "line": (int,), "attempts": (int, type(None)), "unbounded": (bool,), "library": _TEXT_OR_NULL},
                _IN_CELL,
            )
        ],
        "requests": _FIGURE,
        "wall_time": _FIGURE,
        "handlers": [Record({"line": (int,), "catches": [(str,)]}, _IN_CELL)],
    },
    _IN_CELL,
)
FILE_PART: dict[str, Any] = {"clients": [CLIENT_ROW], "calls": [CALL_ROW]}
