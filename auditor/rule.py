"""The rule base class and the registry of every rule, selected by code, prefix or name.

Rules are small classes that read facts from the SDK model and yield findings. A rule module
imports nothing heavy at import time, so `auditor rule` and `auditor config` start fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from auditor.findings import Fix, Severity

if TYPE_CHECKING:
    import libcst as cst

    from auditor.config import RuleSelection, Settings
    from auditor.sdk.model import SdkModel


@dataclass(frozen=True)
class Report:
    """What a rule yields: the node to flag, the diagnosis (what is wrong, with the numbers), a
    fix if one exists, and the advice for the `help:` line if there is any."""

    node: cst.CSTNode
    message: str
    fix: Fix | None = None
    help: str | None = None


class Rule:
    """One check. Subclasses set the class attributes and implement `check`.

    The docstring is the rule's documentation, in the sections ruff users know ("What it does",
    "Why is this bad?", "Example", "Use instead:", "Fix safety", "Options", "References");
    `auditor rule CODE` prints it and SARIF carries it.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    # Configuration keys this rule reads, shown by `auditor rule`.
    options: ClassVar[tuple[str, ...]] = ()
    # "safe" or "unsafe" when some findings carry a fix (applied by --fix, or only with
    # --unsafe-fixes); None when the rule never fixes anything.
    fix_safety: ClassVar[str | None] = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def check(self, model: SdkModel) -> Iterator[Report]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        doc = (cls.__doc__ or "").strip("\n")
        lines = doc.splitlines()
        indent = min((len(l) - len(l.lstrip()) for l in lines[1:] if l.strip()), default=0)
        body = "\n".join([lines[0].strip(), *(l[indent:] for l in lines[1:])]) if lines else ""
        return body.strip() + "\n"


def _load_rules() -> dict[str, type[Rule]]:
    import auditor.rules as package

    found: dict[str, type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"auditor.rules.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and hasattr(value, "code"):
                found[value.code] = value
    return dict(sorted(found.items()))


_RULES: dict[str, type[Rule]] | None = None


def all_rules() -> dict[str, type[Rule]]:
    """Every rule by code, in code order."""
    global _RULES
    if _RULES is None:
        _RULES = _load_rules()
    return _RULES


def _matches(selector: str, rule: type[Rule]) -> bool:
    return selector == "ALL" or rule.code.startswith(selector) or selector == rule.name


_SELECTOR = re.compile(r"^(ALL|ANT\d{0,3}|[a-z0-9-]+)$")
_PREFIX = re.compile(r"^ANT(\d{0,2})$")


def is_known_selector(selector: str) -> bool:
    """A code, a code prefix (`ANT4`), a rule name or `ALL` that matches at least one rule."""
    if not _SELECTOR.match(selector):
        return False
    return any(_matches(selector, rule) for rule in all_rules().values())


def specificity(selector: str) -> int:
    """How narrowly a selector names rules, as ruff ranks them: `ALL` 0, `ANT` 1, `ANT4` 2,
    `ANT40` 3, a whole code or a rule name 4."""
    if selector == "ALL":
        return 0
    prefix = _PREFIX.match(selector)
    return 1 + len(prefix[1]) if prefix else 4


def resolve_selection(layers: Iterable[RuleSelection]) -> set[str]:
    """The codes of the rules enabled by `layers`, lowest priority first (the configuration
    file, then the command line), with ruff's precedence.

    Each layer is settled on its own: its selectors apply from the least specific to the most
    specific, so `ANT402` beats `ANT4` whichever list each is in, and at equal specificity an
    ignore beats a select. A layer with a `select` then replaces what the layers below chose;
    one without only adds its extend-selects and takes away its ignores."""
    rules = all_rules().values()
    enabled = {rule.code for rule in rules}  # the default selection: ALL
    for layer in layers:
        chosen = (*(layer.select or ()), *layer.extend_select)
        updates: dict[str, bool] = {}
        for level in range(5):
            for selectors, on in ((chosen, True), (layer.ignore, False)):
                for selector in selectors:
                    if specificity(selector) == level:
                        updates.update((rule.code, on) for rule in rules if _matches(selector, rule))
        if layer.select is not None:
            enabled = set()
        enabled = (enabled | {code for code, on in updates.items() if on}) - {code for code, on in updates.items() if not on}
    return enabled


def select_rules(layers: Iterable[RuleSelection]) -> list[type[Rule]]:
    """The enabled rules, in code order (see `resolve_selection`)."""
    enabled = resolve_selection(layers)
    return [rule for code, rule in all_rules().items() if code in enabled]


def codes_matching(selectors: Iterable[str]) -> set[str]:
    selectors = list(selectors)
    return {code for code, rule in all_rules().items() if any(_matches(s, rule) for s in selectors)}
