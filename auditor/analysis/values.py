"""Values the analysis can prove, and where each came from, as data.

A rule decides on a provenance's `kind` ("is this the SDK's default?"); a message shows it with
str() ("constant MAX_TOKENS on line 12"). A line number costs a position pass over the whole
module, which most modules (no findings) never need, so it is computed only when shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeGuard

if TYPE_CHECKING:
    import libcst as cst

SourceKind = Literal[
    "literal",  # written in place
    "constant",  # a name or attribute bound once to a constant
    "parameter-default",  # a parameter's default: callers may pass another value
    "field-default",  # an annotated class-level value (a dataclass, pydantic or attrs field)
    "class-attribute",  # a plain class attribute: an instance or a subclass may override it
    "environment-default",  # `os.environ.get("X", "8192")`: the environment may say otherwise
    "arithmetic",  # arithmetic on several constants
    "sdk-default",  # nothing given: the SDK's own default applies
    "sdk-constant",  # `anthropic.DEFAULT_TIMEOUT`
    "timeout-object",  # `httpx.Timeout(60, connect=5)`
    "http-client",  # the timeout of an `http_client=` passed to the client
    "unknown",  # not proved: `name` says why
]


@dataclass(frozen=True)
class Source:
    """Where a value came from. `name` is the constant, parameter, variable or code it names
    (for "unknown", the reason); `owner` the function a parameter belongs to; `inner` the
    source an http client's timeout came from; `where` the file and line in another module of
    the project (`app/settings.py:9`) for a value defined there."""

    kind: SourceKind
    name: str = ""
    owner: str = ""
    inner: Source | None = None
    line: Callable[[], int] | None = field(default=None, compare=False, repr=False)
    where: str = ""

    def __str__(self) -> str:
        kind, name = self.kind, self.name
        if kind == "literal":
            return "literal"
        if kind == "constant":
            return f"constant {name}{self._place(' on line ')}"
        if kind == "parameter-default":
            return f"default of parameter {name}" + (f" of {self.owner}()" if self.owner else "") + self._place(", ")
        if kind in ("field-default", "class-attribute"):
            what = "default of field" if kind == "field-default" else "class attribute"
            return f"{what} {name} of {self.owner}{self._place(' on line ')}"
        if kind == "environment-default":
            return f"default of environment variable {name}"
        if kind == "arithmetic":
            return "arithmetic on constants"
        if kind == "sdk-default":
            return "SDK default"
        if kind == "http-client":
            return f"http_client {self.inner}"
        return name  # sdk-constant, timeout-object: the code itself; unknown: the reason

    def _place(self, before_line: str) -> str:
        """` on line 9` in this module, `, app/settings.py:9` in another, else nothing."""
        if self.where:
            return f", {self.where}"
        return f"{before_line}{self.line()}" if self.line is not None else ""

    @property
    def certain(self) -> bool:
        """False for a default a caller or the environment may override."""
        return self.kind not in ("parameter-default", "environment-default", "field-default", "class-attribute")


LITERAL = Source("literal")
SDK_DEFAULT = Source("sdk-default")


@dataclass(frozen=True)
class Known:
    """A value proved from the code, and where it came from.

    `certain` is False when the value is a default that the environment or a caller may change
    (`int(os.environ.get("N", "8192"))`, a parameter's default): a finding then says "may be".
    """

    value: object
    source: Source
    certain: bool = True
    node: cst.CSTNode | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Unknown:
    reason: str


ABSENT = Unknown("not given")  # a sentinel for an argument the call does not pass


def is_absent(value: Known | Unknown) -> bool:
    return value is ABSENT


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
