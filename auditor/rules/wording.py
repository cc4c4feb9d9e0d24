"""Wording several rules share: numbers, provenance, and advice that fits the call. Rules decide
on facts; this module only says them, so that the same fact reads the same everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.analysis.values import Known, Source
from auditor.sdk.table import RESPONSE_WRAPPERS

if TYPE_CHECKING:
    from auditor.sdk.facts import Retry, SdkCall
    from auditor.sdk.model import SdkModel
    from auditor.sdk.worst_case import Refusal


def format_seconds(value: float) -> str:
    """`1,800 s`, `0.5 s`: one style for every message and report."""
    return f"{value:,.0f} s" if float(value).is_integer() else f"{value:,.1f} s"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def origin(source: Source) -> str:
    """` (constant MAX_TOKENS on line 3)`, nothing for a literal written in place."""
    return "" if source.kind == "literal" else f" ({source})"


def attempts_wait(timeout: float, sdk_attempts: int, total: float, label: str = "") -> str:
    """`120 s x 6 attempts + 15.5 s of backoff = 735.5 s`: the worst case, worked out. `label`
    follows the timeout (`600 s (SDK default) x 3 attempts ...`)."""
    backoff = total - timeout * sdk_attempts
    pause = f" + {format_seconds(backoff)} of backoff" if backoff > 0 else ""
    return f"{format_seconds(timeout)}{label} x {plural(sdk_attempts, 'attempt')}{pause} = {format_seconds(total)}"


def long_request(model: SdkModel, call: SdkCall, tokens: Known, refused: Refusal | None, refused_later: Refusal | None = None) -> tuple[str, str]:
    """ANT101's and ANT102's diagnosis (the size and why it matters) and help (how to stream
    this call). `refused_later`: what newer SDKs refuse of a call the target SDK still sends."""
    keyword = "max_tokens_to_sample" if call.operation.startswith("completions") else "max_tokens"
    value = f"{keyword}={tokens.value:,}" if tokens.certain else f"{keyword} may be {tokens.value:,}"
    sent = f"{value}{origin(tokens.source)} without streaming"
    advice = stream_advice(model, call)
    if refused is not None:
        limit = f"for {model.model_name(call)}" if refused.model_limit else "at the default timeout"
        return f"{sent}: above {refused.limit:,} {limit}, the SDK raises ValueError before sending", f"Stream it: {advice}"
    if refused_later is not None:
        return f"{sent}: {unrefused_wait(model, call)}", f"Stream it (from {guard_version()} on, the SDK refuses it unstreamed): {advice}"
    return f"{sent}: a long answer can run past the timeout and be retried from scratch", f"Stream it: {advice}"


def guard_version() -> str:
    """`0.47.0`: the first SDK that refuses long non-streamed calls, and estimates how long one takes."""
    from auditor.sdk.table import REFUSES_LONG_NONSTREAMED_SINCE
    from auditor.sdk.versions import show_version

    return show_version(REFUSES_LONG_NONSTREAMED_SINCE)


def unrefused_wait(model: SdkModel, call: SdkCall) -> str:
    """An SDK from before the guard sends a call newer ones refuse, and waits: for how long."""
    from auditor.sdk.versions import show_version

    case = model.worst_case(call)
    timeout = case.timeout.value if case.timeout is not None and case.timeout.known else None
    if case.seconds is None or not isinstance(timeout, float) or case.sdk_attempts is None:
        wait = "for the whole answer, each attempt up to its timeout"
    elif case.retry_attempts == 1:
        wait = f"up to {attempts_wait(timeout, case.sdk_attempts, case.seconds)}"
    else:
        wait = f"up to {format_seconds(case.seconds)} (retries included)"
    return f"SDK {show_version(model.release.version)} sends it and waits {wait}"


def stream_advice(model: SdkModel, call: SdkCall) -> str:
    import libcst as cst

    if call.operation.startswith("completions"):
        return "pass `stream=True` and read the events (legacy completions have no `.stream()` helper), or move to `messages.stream(...)`"
    if call.method == "tool_runner":
        return "pass `stream=True` to `tool_runner(...)`: each turn is then streamed"
    if not isinstance(call.node.func, cst.Attribute):  # called through a reference or a partial
        resource_path = call.operation.rsplit(".", 1)[0]
        return f"call `{resource_path}.stream(...)` instead of `{model.code(call.node.func)}(...)` and read `stream.get_final_message()`"
    resource = call.node.func.value
    while isinstance(resource, cst.Attribute) and resource.attr.value in RESPONSE_WRAPPERS:
        resource = resource.value  # `.with_raw_response` has no stream helper: stream the resource itself
    target = model.code(resource)
    if model.is_async(call):
        return f"`async with {target}.stream(...) as stream: message = await stream.get_final_message()`"
    return f"`with {target}.stream(...) as stream: message = stream.get_final_message()`"


RETRY_HELP = (
    "Let the SDK retry instead: Anthropic(max_retries=N) or client.with_options(max_retries=N); "
    "keep your own logic for application decisions such as falling back to another model"
)


def retry_message(model: SdkModel, retry: Retry) -> str:
    """ANT301's and ANT302's diagnosis: what re-sends which call, and how many requests that
    makes (the SDK's own attempts counted); the help is RETRY_HELP."""
    site = retry.sites[0]
    what = {"loop": "This loop", "recursion": "This recursive call", "decorator": "This retry decorator", "iterator": "This tenacity loop"}[retry.kind]
    via = f" (through {site.via})" if site.via and site.targets else f" (through {site.via} in {site.where})" if site.where else ""
    text = f"{what} re-sends the SDK call on line {model.line(site.node)}{via}"
    sdk_attempts = model.sdk_attempts_under(retry)
    if retry.unbounded:
        return f"{text} on top of the SDK's own retries: it never stops retrying"
    if retry.attempts is not None and sdk_attempts is not None:
        return (
            f"{text}: {retry.attempts} attempts x {sdk_attempts} SDK attempts (max_retries={sdk_attempts - 1}) "
            f"= up to {retry.attempts * sdk_attempts} requests"
        )
    return f"{text} on top of the SDK's own retries"
