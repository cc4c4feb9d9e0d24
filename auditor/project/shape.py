"""The shape of a module summary, checked when the cache is loaded: a summary decides
findings in other modules, so one out of shape is never trusted. Light on purpose (no libcst):
the cache is read before anything is parsed."""

from __future__ import annotations

from typing import Any, get_args

from auditor.analysis.values import SourceKind

_SOURCE_KINDS = frozenset(get_args(SourceKind))

Summary = dict[str, Any]


def valid_summary(summary: Any) -> bool:
    return (
        type(summary) is dict
        and summary.keys() == {"exports", "stars"}
        and type(summary["exports"]) is dict
        and all(type(name) is str and _valid_entry(entry) for name, entry in summary["exports"].items())
        and type(summary["stars"]) is list
        and all(type(star) is str for star in summary["stars"])
    )


def _valid_entry(entry: Any) -> bool:
    if type(entry) is not dict:
        return False
    kind = entry.get("kind")
    if kind == "alias":
        return entry.keys() == {"kind", "target"} and type(entry["target"]) is str
    if kind == "class":
        return entry.keys() == {"kind"}
    if kind == "retry-decorator":
        return entry.keys() == {"kind", "where"} and type(entry["where"]) is str
    if kind == "kwargs":
        return (
            entry.keys() == {"kind", "where", "items", "complete"}
            and type(entry["where"]) is str
            and type(entry["complete"]) is bool
            and type(entry["items"]) is dict
            and all(type(key) is str and (item == {"kind": "unknown"} or _valid_entry(item) and item["kind"] in ("constant", "alias")) for key, item in entry["items"].items())
        )
    if kind == "sdk-helper":
        return (
            entry.keys() == {"kind", "where", "clients"}
            and type(entry["where"]) is str
            and type(entry["clients"]) is dict
            and all(type(name) is str and _valid_client_parameter(value) for name, value in entry["clients"].items())
        )
    if kind == "constant":
        return (
            entry.keys() == {"kind", "value", "certain", "where", "source"}
            and _valid_value(entry["value"])
            and type(entry["certain"]) is bool
            and type(entry["where"]) is str
            and _valid_source(entry["source"])
        )
    if kind in ("client", "factory"):
        return (
            entry.keys() == {"kind", "label", "class", "async", "where", "timeout", "max_retries"}
            and all(type(entry[key]) is str for key in ("label", "class", "where"))
            and (entry["async"] is None or type(entry["async"]) is bool)
            and _valid_setting(entry["timeout"])
            and _valid_setting(entry["max_retries"])
        )
    return False


def _valid_client_parameter(value: Any) -> bool:
    return (
        type(value) is dict
        and value.keys() == {"index", "untimed"}
        and (value["index"] is None or type(value["index"]) is int)
        and type(value["untimed"]) is bool
    )


def _valid_setting(setting: Any) -> bool:
    required = {"known", "value", "certain", "where", "source"}
    return (
        type(setting) is dict
        and required <= setting.keys() <= required | {"param", "index", "ref"}
        and type(setting["known"]) is bool
        and (setting["value"] is None or type(setting["value"]) in (int, float))
        and type(setting["certain"]) is bool
        and type(setting["where"]) is str
        and _valid_source(setting["source"])
        and type(setting.get("param", "")) is str
        and type(setting.get("ref", "")) is str
        and (setting.get("index") is None or type(setting["index"]) is int)
    )


def _valid_source(source: Any) -> bool:
    return (
        type(source) is dict
        and source.keys() == {"kind", "name", "owner"}
        and source["kind"] in _SOURCE_KINDS
        and type(source["name"]) is str
        and type(source["owner"]) is str
    )


def _valid_value(value: Any) -> bool:
    return value is None or type(value) in (bool, int, float, str)
