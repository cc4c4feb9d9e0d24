"""live-check's diagnosis: which kind of failure an SDK error or a stopped check is, and the
plain words for it (what happened, what to change)."""

from __future__ import annotations

import json
import re
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from auditor.live_guard import NotAStream, Redirected, StopCheck, WaitTooLong, WireGuard
from auditor.live_report import Failure, Report

ANTHROPIC_HOST = "api.anthropic.com"

# SDK exception class -> failure kind, most specific first (OverloadedError is an InternalServerError).
# Looked up by name so that an older SDK that lacks a class falls through to the status code.
_KIND_BY_CLASS = (
    ("AuthenticationError", "auth"),
    ("PermissionDeniedError", "permission"),
    ("NotFoundError", "not_found"),
    ("BadRequestError", "bad_request"),
    ("RateLimitError", "rate_limited"),
    ("OverloadedError", "overloaded"),
    ("InternalServerError", "server_error"),
)
_KIND_BY_STATUS = {
    400: "bad_request",
    401: "auth",
    403: "permission",
    404: "not_found",
    408: "retryable_status",
    409: "retryable_status",
    429: "rate_limited",
    529: "overloaded",
}
# An `error` event inside a 200 stream has no telling status: only the body's error type says.
_KIND_BY_ERROR_TYPE = {
    "invalid_request_error": "bad_request",
    "authentication_error": "auth",
    "permission_error": "permission",
    "not_found_error": "not_found",
    "rate_limit_error": "rate_limited",
    "overloaded_error": "overloaded",
    "api_error": "server_error",
    "timeout_error": "server_error",
}

# kind -> (cause, fix). Fields: {detail} e.g. "HTTP 429: <API message>", {after} "after 3 attempts",
# {model}, {base_url}, {timeout}, {deadline}.
_WORDING = {
    "auth": (
        "the API key was rejected ({detail})",
        "check ANTHROPIC_API_KEY: it must hold a valid, active API key for {base_url}{key_header}",
    ),
    "permission": (
        "the API key has no permission for this request ({detail})",
        "use a key whose organization and workspace may call model {model!r}, or ask an admin for access",
    ),
    "not_found": (
        "model {model!r} was not found ({detail})",
        "check the configured model id {model!r} (--model, or `model` in [tool.auditor.live]); "
        "a base URL with a wrong path also answers 404",
    ),
    "bad_request": (
        "the API rejected the request as invalid ({detail})",
        "fix the setting the API's message names (model, max-tokens or prompt)",
    ),
    "refused": (
        "the API refused the request ({detail})",
        "read the API's message: retrying will not help until its cause is fixed",
    ),
    "rate_limited": (
        "rate limited ({detail}) {after}",
        "wait and rerun, send fewer requests, or raise max-retries so that the SDK waits out the limit",
    ),
    "overloaded": (
        "the API is overloaded ({detail}) {after}",
        "rerun later; a higher max-retries rides out short overloads",
    ),
    "server_error": (
        "server error ({detail}) {after}",
        "rerun later; if it persists, check the API status page, or the proxy at {base_url}",
    ),
    "retryable_status": (
        "the API kept answering {detail} {after}",
        "rerun later; a higher max-retries gives the SDK more attempts",
    ),
    "timeout": (
        "no response within the {timeout:g} s timeout {after}",
        "raise timeout (the SDK's default is 600 s), or check the network and proxies on the way to {base_url}",
    ),
    "stalled": (
        "the stream stalled: no data for {timeout:g} s mid-answer ({detail})",
        "raise timeout (it also bounds the wait between two chunks of a stream), or check proxies on the "
        "way to {base_url} that buffer streaming responses",
    ),
    "connection": (
        "could not connect to {base_url} ({detail}) {after}",
        "check the base URL (--base-url, `base-url`, or ANTHROPIC_BASE_URL), DNS, proxy and TLS settings, "
        "and that the host is reachable",
    ),
    "cut_off": (
        "the stream was cut off mid-answer ({detail})",
        "the connection dropped before the answer finished: rerun; if it repeats, check proxies or load "
        "balancers on the way to {base_url} that close or buffer long streaming responses",
    ),
    "redirect": (
        "the server answered with a redirect (HTTP {detail}): the API never redirects, so a proxy, "
        "a captive portal or a wrong base URL answered",
        "check the base URL ({base_url}: --base-url, `base-url`, or ANTHROPIC_BASE_URL) and the proxies on "
        "the way; the redirect was not followed, so the key was not sent to its target",
    ),
    "error_body": (
        "the server answered HTTP 200 with a JSON error instead of an event stream ({detail})",
        "the API reports an error with an error status or an `error` event inside the stream: a proxy or "
        "gateway on the way to {base_url} rewrote this one; check the base URL and the proxies",
    ),
    "html_page": (
        "the server answered HTTP 200 with an HTML page instead of an event stream ({detail})",
        "a captive portal, a proxy's sign-in page or a website answered: sign in to the network, or check "
        "the base URL ({base_url}) and the proxies",
    ),
    "not_a_stream": (
        "the server answered HTTP 200 with {detail} instead of an event stream",
        "something other than the Messages API answered at {base_url}, or a proxy rewrote the streaming "
        "response: check the base URL and the proxies",
    ),
    "deadline": (
        "the check did not finish within the {deadline:g} s deadline ({detail})",
        "raise --deadline (`deadline` in [tool.auditor.live]) if these settings need longer; an answer that "
        "trickles in points at a proxy on the way to {base_url} that throttles or buffers streaming responses",
    ),
    "unexpected": (
        "unexpected {detail}",
        "this is not a known failure: rerun with ANTHROPIC_LOG=debug and report it with this message",
    ),
}


def classify_failure(error: Exception, anthropic: ModuleType, report: Report) -> Failure:
    """Name the cause and the fix for one exception: by SDK class first, then by status code."""
    name = f"{type(error).__name__}: {error}"
    if isinstance(error, anthropic.APIStatusError):
        return _status_failure(error, anthropic, report)
    if isinstance(error, anthropic.APITimeoutError):
        return describe("timeout", report, detail="", exception=name)
    if isinstance(error, anthropic.APIConnectionError):
        root = _root_cause(error)
        return describe("connection", report, detail=f"{type(root).__name__}: {root}", exception=name)
    if report.stream_opened and _is_transport_error(error):
        # Raised by the HTTP library while reading the body; the SDK does not wrap these.
        if "TimeoutException" in _class_names(error):
            return describe("stalled", report, detail=name, exception=name)
        detail = f"{name}, after {len(report.text)} characters of text"
        return describe("cut_off", report, detail=detail, exception=name)
    return describe("unexpected", report, detail=name, exception=name)


def _status_failure(error: Any, anthropic: ModuleType, report: Report) -> Failure:
    status = int(getattr(error, "status_code", 0) or 0)
    error_type, api_message = _error_fields(getattr(error, "body", None))
    kind = _status_kind(error, anthropic, status, error_type)
    where = f"HTTP {status}" if status != 200 else "an error event mid-stream"
    detail = f"{where}: {api_message}" if api_message else where
    return describe(
        kind,
        report,
        detail=detail,
        exception=f"{type(error).__name__}: {error}",
        status_code=status or None,
        error_type=error_type,
        api_message=api_message,
    )


def _status_kind(error: Any, anthropic: ModuleType, status: int, error_type: str | None) -> str:
    for class_name, kind in _KIND_BY_CLASS:
        cls = getattr(anthropic, class_name, None)
        if cls is not None and isinstance(error, cls):
            return kind
    return _kind_of_status(status, error_type)


def _kind_of_status(status: int, error_type: str | None) -> str:
    if status in _KIND_BY_STATUS:
        return _KIND_BY_STATUS[status]
    if status >= 500:
        return "server_error"
    if 400 <= status < 500:
        return "refused"
    return _KIND_BY_ERROR_TYPE.get(error_type or "", "unexpected")


def stop_failure(stop: StopCheck, guard: WireGuard, report: Report) -> Failure:
    """Name what the wire guard stopped on, or what the check was doing when the deadline passed."""
    if isinstance(stop, Redirected):
        detail = f"{stop.status} to {stop.location}" if stop.location else str(stop.status)
        return describe("redirect", report, detail=detail, status_code=stop.status)
    if isinstance(stop, NotAStream):
        return _not_a_stream_failure(stop, report)
    if isinstance(stop, WaitTooLong):
        return _wait_failure(stop, report)
    return describe("deadline", report, detail=_deadline_detail(guard, report))


def _not_a_stream_failure(stop: NotAStream, report: Report) -> Failure:
    error_type, api_message = _error_fields(_json_object(stop.sample))
    if error_type or api_message:
        detail = ": ".join(part for part in (error_type, api_message) if part)
        return describe(
            "error_body", report, detail=detail, status_code=stop.status, error_type=error_type, api_message=api_message
        )
    if "html" in stop.content_type.lower():
        title = re.search(r"<title[^>]*>(.*?)</title", stop.sample, re.IGNORECASE | re.DOTALL)
        detail = f"titled {_one_line(title.group(1))!r}" if title else f"starting {_one_line(stop.sample)!r}"
        return describe("html_page", report, detail=detail, status_code=stop.status)
    detail = f"content-type {stop.content_type}, starting {_one_line(stop.sample)!r}"
    return describe("not_a_stream", report, detail=detail, status_code=stop.status)


def _wait_failure(stop: WaitTooLong, report: Report) -> Failure:
    """A retryable error whose `retry-after` outlasts the deadline: said, not slept through."""
    error_type, api_message = _error_fields(_json_object(stop.sample))
    where = f"HTTP {stop.status}"
    failure = describe(
        _kind_of_status(stop.status, error_type),
        report,
        detail=f"{where}: {api_message}" if api_message else where,
        status_code=stop.status,
        error_type=error_type,
        api_message=api_message,
    )
    wait = _duration(stop.wait)
    failure.cause += (
        f"; the API asked to wait {wait} before retrying, more than the {_duration(stop.remaining)} left "
        f"of the {report.deadline_s:g} s deadline"
    )
    failure.fix = f"rerun in {wait} or later, or give the SDK time to wait it out with a --deadline above {wait}"
    return failure


def _deadline_detail(guard: WireGuard, report: Report) -> str:
    """What the check was waiting for when the deadline passed."""
    response = guard.response
    attempt = f"attempt {guard.attempts}"
    if guard.answers < guard.sends or response is None:
        return f"no answer yet to {attempt}, whose {report.timeout_s:g} s timeout had not run out"
    if int(response.status_code) >= 400:
        return f"waiting to retry after HTTP {response.status_code} on {attempt}"
    received = int(getattr(response, "num_bytes_downloaded", 0))
    return (
        f"the answer was still arriving: {received:,} bytes and {len(report.text):,} characters of text "
        f"in {guard.elapsed():.1f} s, {attempt}"
    )


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _one_line(text: str, limit: int = 120) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    """3,600 s; 59.9 s; 0.25 s."""
    return f"{seconds:,.0f} s" if seconds >= 100 else f"{seconds:.3g} s"


def _error_fields(body: object) -> tuple[str | None, str | None]:
    """`error.type` and `error.message` of an API error body; a non-JSON body's text as the message."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        error_type = error.get("type") if isinstance(error.get("type"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else None
        return error_type, message
    if isinstance(body, str) and body.strip():
        return None, body.strip()[:300]
    return None, None


def describe(kind: str, report: Report, *, detail: str, **fields: Any) -> Failure:
    """A Failure of `kind`, worded from `_WORDING` with this run's model, URL, timeout and attempts."""
    attempts = report.attempts
    cause, fix = _WORDING[kind]
    values = {
        "detail": detail,
        "after": f"after {attempts} attempt{'s' if attempts != 1 else ''}",
        "model": report.model,
        "base_url": report.base_url,
        "timeout": report.timeout_s,
        "deadline": report.deadline_s,
        "key_header": _key_header(report),
    }
    return Failure(kind=kind, cause=cause.format(**values), fix=fix.format(**values), **fields)


def _key_header(report: Report) -> str:
    """How the installed SDK sends the key, for a server other than Anthropic's own: a gateway
    that expects `x-api-key` rejects the bearer token of a 2.x SDK, and the other way round."""
    from auditor.sdk.versions import parse_version, release

    if urlsplit(report.base_url).hostname == ANTHROPIC_HOST or parse_version(report.sdk_version) is None:
        return ""
    header = "Authorization: Bearer <key>" if release(report.sdk_version).bearer_key else "X-Api-Key: <key>"
    return f"; anthropic {report.sdk_version} sends it as `{header}`, which the server there must accept"


def request_id_of(error: Exception) -> str | None:
    """The `request-id` of the response behind an error, when there was one (quote it to support)."""
    request_id = getattr(error, "request_id", None)
    headers = getattr(getattr(error, "response", None), "headers", None)
    if request_id is None and headers is not None:
        request_id = headers.get("request-id")
    return request_id if isinstance(request_id, str) else None


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception behind `error` (e.g. ConnectError: connection refused)."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = error.__cause__ or error.__context__
        if inner is None:
            break
        error = inner
    return error


def _class_names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def _is_transport_error(error: BaseException) -> bool:
    """An httpx or httpx2 transport error, found by class name: neither library is imported here."""
    module = type(error).__module__.partition(".")[0]
    return module in ("httpx", "httpx2", "httpcore", "httpcore2") and "TransportError" in _class_names(error)
