"""live-check's report: what one run observed, its verdict and exit code, and how it is shown
(text, one quiet line, or the documented JSON object). The API key is scrubbed from all of it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from auditor.redact import Scrubber

EXIT_PASS = 0
EXIT_CONFIG = 2
EXIT_REFUSED = 4
EXIT_TRANSIENT = 5
SCHEMA_VERSION = 1

# Failures that retrying later may cure (exit 5). Every other kind is a refusal (exit 4).
TRANSIENT_KINDS = frozenset(
    {
        "rate_limited",
        "overloaded",
        "server_error",
        "retryable_status",
        "timeout",
        "stalled",
        "connection",
        "cut_off",
        "deadline",
        "unexpected",
    }
)


@dataclass
class Failure:
    """Why the check failed, in plain words: what happened and what to change."""

    kind: str
    cause: str
    fix: str
    exception: str | None = None
    status_code: int | None = None
    error_type: str | None = None
    api_message: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_TRANSIENT if self.kind in TRANSIENT_KINDS else EXIT_REFUSED


@dataclass
class Report:
    """What one run observed; rendered as text or as the documented JSON object."""

    model: str
    base_url: str
    timeout_s: float
    max_retries: int
    deadline_s: float
    sdk_version: str
    response_model: str | None = None
    text: str = ""
    time_to_first_token_s: float | None = None
    total_time_s: float = 0.0
    stop_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    request_id: str | None = None
    attempts: int = 0
    stream_opened: bool = False
    failure: Failure | None = None

    @property
    def result(self) -> str:
        return "PASS" if self.failure is None else "FAIL"

    @property
    def exit_code(self) -> int:
        return EXIT_PASS if self.failure is None else self.failure.exit_code


def report_json(report: Report) -> dict[str, Any]:
    """The documented JSON object: these keys are stable (see the README's live-check section)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "result": report.result,
        "exit_code": report.exit_code,
        "model": report.model,
        "response_model": report.response_model,
        "base_url": report.base_url,
        "text": report.text,
        "time_to_first_token_s": _rounded(report.time_to_first_token_s),
        "total_time_s": _rounded(report.total_time_s),
        "stop_reason": report.stop_reason,
        "input_tokens": report.input_tokens,
        "output_tokens": report.output_tokens,
        "request_id": report.request_id,
        "attempts": report.attempts,
        "retries": max(report.attempts - 1, 0),
        "timeout_s": report.timeout_s,
        "max_retries": report.max_retries,
        "deadline_s": report.deadline_s,
        "sdk_version": report.sdk_version,
        "failure": dataclasses.asdict(report.failure) if report.failure else None,
    }


def render_json(report: Report, scrub: Scrubber) -> str:
    return scrub(json.dumps(scrub.value(report_json(report)), indent=2)) + "\n"


def render_text(report: Report, scrub: Scrubber) -> str:
    """The human report: one aligned row per fact, the cause and fix last."""
    model = report.model
    if report.response_model and report.response_model != report.model:
        model += f" (answered as {report.response_model})"
    tokens = "-" if report.input_tokens is None else f"{report.input_tokens} in, {report.output_tokens} out"
    retries = max(report.attempts - 1, 0)
    rows = [
        ("model", model),
        ("base URL", report.base_url),
        ("time to first token", _seconds(report.time_to_first_token_s)),
        ("total time", _seconds(report.total_time_s)),
        ("stop reason", report.stop_reason or "none"),
        ("tokens", tokens),
        ("request id", report.request_id or "none"),
        ("attempts", f"{report.attempts} ({retries} {'retry' if retries == 1 else 'retries'})"),
        ("timeout", f"{report.timeout_s:g} s"),
        ("max retries", str(report.max_retries)),
        ("deadline", f"{report.deadline_s:g} s"),
        ("SDK", f"anthropic {report.sdk_version}"),
    ]
    if report.failure is not None:
        rows += [("cause", report.failure.cause), ("fix", report.failure.fix)]
    width = max(len(label) for label, _ in rows)
    lines = [f"live-check: {report.result}"] + [f"  {label:<{width}}  {value}" for label, value in rows]
    return scrub("\n".join(lines)) + "\n"


def render_quiet(report: Report, scrub: Scrubber) -> str:
    """One line: the verdict, and on failure the cause and the fix."""
    if report.failure is None:
        line = f"live-check: PASS ({report.model}, {report.attempts} attempt(s), {_seconds(report.total_time_s)})"
    else:
        line = f"live-check: FAIL: {report.failure.cause}. Fix: {report.failure.fix}"
    return scrub(line) + "\n"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
