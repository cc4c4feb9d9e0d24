"""THE worst-case computation: what one call can cost, in requests and in seconds blocked.

Every figure a user sees comes from here: ANT401's and ANT403's numbers, the inventory's
requests and wall time, live-check --from-code. The SDK makes max_retries + 1 attempts, each
can wait the whole timeout, and it sleeps `min(0.5 * 2**n, 8)` s between them (without
retry-after); every enclosing retry (loop, decorator, recursion) multiplies all of that. A call
the SDK refuses before sending costs nothing at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.analysis.values import Known
from auditor.sdk import table
from auditor.sdk.facts import SdkCall, Setting, WorstCase

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel
    from auditor.sdk.versions import Release


def attempts_budget(timeout: float, sdk_attempts: int, retry_attempts: int = 1) -> float:
    """Seconds `retry_attempts` rounds of `sdk_attempts` attempts can block: the one formula.
    (An absurd max_retries, hundreds of digits long, gives infinity rather than a crash.)"""
    try:
        return retry_attempts * (sdk_attempts * timeout + table.sdk_backoff(sdk_attempts - 1))
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class Refusal:
    """The SDK raises ValueError before sending: a non-streamed call whose max_tokens is above
    what it allows at its default timeout, or above the model's own limit."""

    tokens: Known
    limit: int
    model_limit: bool  # `limit` is the model's own (MODEL_NONSTREAMING_TOKENS), not the general one


def refusal(model: SdkModel, call: SdkCall, sdk: Release | None = None) -> Refusal | None:
    """Proved: an SDK version with the guard (0.47.0 on), not streamed, a number for max_tokens,
    no per-call timeout, every possible client on the default timeout. A max_tokens that only
    "may be" (a default) still counts: the finding then says "may be". `sdk`: the version to
    ask about, by default the one the project targets."""
    sdk = sdk or model.release
    if not sdk.refuses_long_nonstreamed:
        return None  # an older SDK sends the request and waits: the normal worst case
    if call.operation.startswith("completions") or model.streamed(call) is not False:
        return None
    tokens = model.max_tokens(call)
    if not isinstance(tokens, Known) or not isinstance(tokens.value, (int, float)):
        return None
    if model.call_timeout(call) is not None:
        return None
    if not call.clients.complete or not call.clients.configs:
        return None
    if not all(model.client_timeout(config).sdk_default for config in call.clients.configs):
        return None
    general = table.NONSTREAMING_TOKEN_LIMIT
    own = sdk.model_nonstreaming_tokens.get(model.model_name(call) or "")
    if tokens.value <= min(own or general, general):
        return None
    if own is not None and tokens.value <= general:
        return Refusal(tokens, own, model_limit=True)
    return Refusal(tokens, general, model_limit=False)


def worst_case(model: SdkModel, call: SdkCall) -> WorstCase:
    """Requests one call can send, and for a non-streamed call how long it can block."""
    timeout, _ = model.settings_in_force(call)
    sdk_attempts = model.sdk_attempts(call)
    retries = model.retries_around(call)
    multiplier: int | None = 1
    for retry in retries:
        multiplier = None if retry.attempts is None or multiplier is None else multiplier * retry.attempts
    unbounded = any(r.unbounded for r in retries)
    endless = "an enclosing retry has no bound"
    if call.method in table.REQUEST_LOOPS:  # one request per turn, until max_iterations if given
        iterations = call.arguments.constant("max_iterations")
        if isinstance(iterations, Known) and isinstance(iterations.value, int) and not isinstance(iterations.value, bool):
            multiplier = None if multiplier is None else multiplier * max(iterations.value, 1)
        else:
            unbounded = True
            endless = f"{call.method} has no max_iterations: it sends requests until the model stops calling tools"

    def case(requests: int | None, requests_unbounded: bool, requests_reason: str, seconds: float | None, seconds_unbounded: bool, seconds_reason: str, refused: bool = False) -> WorstCase:
        return WorstCase(requests, requests_unbounded, requests_reason, seconds, seconds_unbounded, seconds_reason, refused, timeout, sdk_attempts, multiplier)

    found = refusal(model, call)
    if found is not None and found.tokens.certain:
        reason = "the SDK refuses the call before sending"
        return case(0, False, reason, 0.0, False, reason, refused=True)
    if unbounded:
        requests: int | None = None
        why = endless
    elif sdk_attempts is None or multiplier is None:
        requests = None
        why = "max_retries is not known" if sdk_attempts is None else "a retry's bound is not known"
    else:
        requests, why = sdk_attempts * multiplier, ""
    streamed = model.streamed(call)
    if streamed:
        return case(requests, unbounded, why, None, False, "streamed: the timeout bounds each pause, not the whole answer")
    if timeout.known and timeout.value is None:
        return case(requests, unbounded, why, None, True, "no timeout: a request can block forever")
    if unbounded:
        return case(requests, True, why, None, True, why)
    if streamed is None:
        return case(requests, unbounded, why, None, False, "whether the call streams is not known")
    if not timeout.known or not isinstance(timeout.value, float) or sdk_attempts is None or multiplier is None:
        reason = "the timeout is not known" if not timeout.known else why
        return case(requests, unbounded, why, None, False, reason)
    return case(requests, False, "", attempts_budget(timeout.value, sdk_attempts, multiplier), False, "")


def client_budget(timeout: Setting, max_retries: Setting) -> float | None:
    """What one request through a client can block, retries and backoff included (ANT403)."""
    if not (timeout.known and isinstance(timeout.value, float) and max_retries.known and isinstance(max_retries.value, int)):
        return None
    return attempts_budget(timeout.value, max_retries.value + 1)
