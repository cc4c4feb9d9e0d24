"""What the other modules of the project export, as the analysis of one module asks for it.

A module's analysis reaches outside itself only through `External`: the project layer
(auditor.project) answers from the summaries of the other modules, parsing one only when the
analysis really asks about it. Without a project (a snippet, a rule test) nothing outside is
known, and every imported name stays what it was: a qualified name.

An entry is one exported fact as plain JSON, so that summaries can be cached and sent between
processes; each layer reads the kinds it knows. The analysis layer reads two:

    {"kind": "constant", "value": 8192, "certain": true, "where": "app/settings.py:9",
     "source": {"kind": "constant", "name": "MAX_TOKENS", "owner": ""}}
    {"kind": "class"}        (its fields are constants named `Class.field`)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from auditor.analysis.values import Known, Source

Entry = Mapping[str, Any]


class External(Protocol):
    def entry(self, qualname: str) -> Entry | None:
        """The fact another module of the project exports under `qualname` (`app.settings.MAX`,
        `app.models.Config.timeout`; relative names such as `.settings.MAX` are resolved from
        the module being analysed), or None when it is not a module of the project or exports
        nothing known under that name."""
        ...

    def in_project(self, qualname: str) -> bool:
        """Does `qualname` name something in a module of the project? Cheap: no parsing."""
        ...


def constant(entry: Entry | None) -> Known | None:
    """An exported constant as a value of this module, keeping where it was defined."""
    if entry is None or entry.get("kind") != "constant":
        return None
    raw = entry["source"]
    source = Source(raw["kind"], raw["name"], raw["owner"], where=entry["where"])
    return Known(entry["value"], source, bool(entry["certain"]))
