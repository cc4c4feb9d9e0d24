"""The SDK facts of a module, as plain data: clients and how they were built, generation calls,
where calls happen, settings in force with their provenance, caught exceptions, retries, and
each call's worst case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from auditor.analysis.values import Source
from auditor.sdk import table

if TYPE_CHECKING:
    import libcst as cst

    from auditor.analysis.evaluate import Arguments


@dataclass(frozen=True)
class ClientSet:
    """An SDK client. `configs` are the constructions it may come from; `complete` says whether
    those are all of them (False: some path is unknown, e.g. a parameter or `client or X()`)."""

    configs: tuple[ClientConfig, ...]
    complete: bool

    def merge(self, other: ClientSet) -> ClientSet:
        configs = self.configs + tuple(c for c in other.configs if c not in self.configs)
        return ClientSet(configs, self.complete and other.complete)


@dataclass(frozen=True)
class Resource:
    """An attribute path under a client: `client.beta.messages.with_raw_response`."""

    clients: ClientSet
    path: tuple[str, ...]


@dataclass(eq=False)
class Retry:
    """A retry around SDK calls, as the code wrote it.

    kind: "loop" (for/while with try/except), "recursion" (a handler that calls its function
    again), "decorator" (tenacity, backoff, retrying, stamina, declared names, or a retry
    decorator defined in this module), "iterator" (`for attempt in tenacity.Retrying(...)`).
    """

    kind: Literal["loop", "recursion", "decorator", "iterator"]
    node: cst.CSTNode = field(repr=False)  # the loop, the recursive call or the decorator expression
    sites: tuple[CallSite, ...]
    # What it retries on: the classes its handlers or its `retry=` filter name; `None` = any error.
    retried_on: tuple[Caught, ...] | None
    attempts: int | None  # attempts the retry makes, when provable
    unbounded: bool = False  # `while True`, a decorator without a stop
    handlers: tuple[cst.CSTNode, ...] = field(default=(), repr=False)
    library: str = ""
    # Proved to retry on every exception (tenacity without `retry=`, retrying without a filter);
    # `retried_on` None alone only means the filter is not known.
    any_error: bool = False

    @property
    def sdk_calls(self) -> tuple[SdkCall, ...]:
        return tuple(call for site in self.sites for call in site.targets)


@dataclass(frozen=True)
class Setting:
    """A timeout or max_retries in force, and where it came from. For one that cannot be known,
    `known` is False and the source (kind "unknown") says why."""

    value: object  # float seconds, None (disabled), int retries; meaningless when not known
    source: Source
    known: bool = True
    certain: bool = True
    node: cst.CSTNode | None = field(default=None, repr=False, compare=False)

    @property
    def sdk_default(self) -> bool:
        """Nothing was given anywhere: the SDK's own default applies."""
        return self.known and self.source.kind == "sdk-default"

    @property
    def reason(self) -> str:
        return "" if self.known else self.source.name


def unknown_setting(reason: str, node: cst.CSTNode | None = None) -> Setting:
    return Setting(None, Source("unknown", reason), False, node=node)


@dataclass(frozen=True)
class ExternalClient:
    """A client built in another module of the project, as its summary describes it: the
    settings it was built with, and where (`label` is how a message names it: `make_client()`,
    `clients.default`; `where` is `app/clients.py:12`)."""

    label: str
    where: str
    timeout: Setting
    max_retries: Setting


@dataclass(eq=False)
class ClientConfig:
    """One client construction (`Anthropic(...)`) or derivation (`client.with_options(...)`),
    or, with `external`, a client another module of the project builds (`node` is then where it
    enters this module: the call of the factory)."""

    node: cst.Call = field(repr=False)
    class_name: str
    is_async: bool | None
    parent: ClientSet | None  # for with_options/copy
    arguments: Arguments = field(repr=False)
    external: ExternalClient | None = None

    @property
    def derived(self) -> bool:
        return self.parent is not None


@dataclass(eq=False)
class SdkCall:
    """A generation call: `client.messages.create(...)` and its relatives."""

    node: cst.Call = field(repr=False)
    operation: str  # "messages.create", "beta.messages.stream", "completions.create"
    clients: ClientSet
    arguments: Arguments = field(repr=False)
    resolved: bool = True  # False: shaped like a generation call, client unknown

    @property
    def method(self) -> str:
        return self.operation.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class RemoteCall:
    """A client of this module handed to a function of another module of the project that
    makes generation calls through it: `ask(client, question)`. `untimed`: some call there
    provably passes no timeout, so it waits with the client's."""

    node: cst.Call = field(repr=False)
    clients: ClientSet
    via: str  # "ask()"
    where: str  # "app/helpers.py:6"
    untimed: bool


@dataclass(frozen=True)
class CallSite:
    """A call that makes SDK generation calls: the call itself, or a helper that does."""

    node: cst.Call = field(repr=False)
    targets: tuple[SdkCall, ...]  # the generation calls reached (empty for a declared wrapper)
    via: str | None  # "helper()" or the wrapper's name; None for a direct call
    where: str = ""  # for a helper of another module of the project: its file and line


@dataclass(frozen=True)
class WorstCase:
    """The worst case of one call, computed in one place (auditor.sdk.worst_case) for every
    figure a user sees: ANT401, ANT403, the inventory and live-check --from-code.

    `requests` the call can send and, for a non-streamed call, `seconds` it can block: every
    attempt waits the whole timeout and the SDK sleeps its backoff between attempts (without
    retry-after). A None figure comes with the reason it cannot be given. `refused`: the SDK
    raises before sending, so nothing is sent at all."""

    requests: int | None
    requests_unbounded: bool
    requests_reason: str
    seconds: float | None
    seconds_unbounded: bool
    seconds_reason: str
    refused: bool = False
    timeout: Setting | None = field(default=None, compare=False)  # the timeout of each attempt
    sdk_attempts: int | None = None  # max_retries + 1, when known
    retry_attempts: int | None = 1  # what enclosing retries multiply that by (None: unknown)


@dataclass(frozen=True)
class Caught:
    """One class an `except` clause names, as far as the SDK is concerned.

    kind: "sdk" (an SDK exception, `name` its canonical class name), "builtin" (`Exception` or
    `BaseException`), "bare" (a bare `except:`), "other" (anything else, known or not).
    """

    kind: Literal["sdk", "builtin", "bare", "other"]
    name: str
    node: cst.CSTNode = field(repr=False, compare=False)
    # For an SDK class: it and its bases, nearest first, in the target SDK version's tree.
    ancestors: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def catches(self, other: Caught) -> bool:
        """Would this clause catch everything `other` names (so a later `other` never runs)?"""
        if other.kind == "other" or self.kind == "other":
            return False
        if self.kind == "bare" or self.name == "BaseException":
            return True
        if other.kind == "bare":
            return False
        if self.name == "Exception":
            return other.name != "BaseException"
        # sdk.handlers fills `ancestors` from the target version; without them, the newest tree.
        return other.kind == "sdk" and self.name in (other.ancestors or table.exception_ancestors(other.name))
