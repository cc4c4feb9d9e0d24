"""`auditor live-check` against a real HTTP server on 127.0.0.1 (tests/loopback_api.py).

No mocks: the real SDK talks to a real socket, so retries, timeouts and cut-off streams behave
as they do against the API. The server's `retry-after-ms` header keeps the SDK's backoff short.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result

from auditor.live import live_check
from auditor.live_report import EXIT_CONFIG, EXIT_PASS, EXIT_REFUSED, EXIT_TRANSIENT
from auditor.redact import Scrubber, scrubbed_logging
from loopback_api import (
    DEFAULT_TEXT,
    INPUT_TOKENS,
    LoopbackAPI,
    Reply,
    body_200,
    cut_off,
    drip,
    error,
    error_event,
    garbage,
    html_200,
    json_error_200,
    ok,
    redirect,
    request_key,
    stall,
    unused_port,
)

ROOT = Path(__file__).resolve().parents[1]
AUDITOR = Path(sys.executable).with_name("auditor")  # the installed command (pip install -e '.[test]')
KEY = "sk-ant-loopback-7f3c9e1d2b4a6085-SECRET"
ANSWER = "".join(DEFAULT_TEXT)
REPORT_KEYS = {
    "schema_version",
    "result",
    "exit_code",
    "model",
    "response_model",
    "base_url",
    "text",
    "time_to_first_token_s",
    "total_time_s",
    "stop_reason",
    "input_tokens",
    "output_tokens",
    "request_id",
    "attempts",
    "retries",
    "timeout_s",
    "max_retries",
    "deadline_s",
    "sdk_version",
    "failure",
}
FAILURE_KEYS = {"kind", "cause", "fix", "exception", "status_code", "error_type", "api_message"}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def api() -> Iterator[LoopbackAPI]:
    with LoopbackAPI() as server:
        yield server


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration file of the surrounding project may apply to these runs."""
    monkeypatch.chdir(tmp_path)


def clean_env(key: str | None = KEY, **extra: str | None) -> dict[str, str | None]:
    """The outer ANTHROPIC_* settings and proxies removed (None unsets), the test key set."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("ANTHROPIC_")}
    env.update({name: None for name in PROXY_VARIABLES})
    env["ANTHROPIC_API_KEY"] = key
    env.update(extra)
    return env


def run(*args: str, key: str | None = KEY, **env: str | None) -> Result:
    result = CliRunner().invoke(live_check, list(args), env=clean_env(key, **env))
    # No traceback: the command always ends through SystemExit with its own code.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def run_json(*args: str, **env: str | None) -> tuple[Result, dict]:
    result = run(*args, "--output-format", "json", **env)
    return result, json.loads(result.stdout)


def attempts_in(text: str) -> int:
    found = re.search(r"attempts\s+(\d+)", text)
    assert found, text
    return int(found.group(1))


def server_retry_counts(api: LoopbackAPI) -> list[str]:
    return [request.headers.get("x-stainless-retry-count", "?") for request in api.requests]


# ---------------------------------------------------------------------------------------------
# Success.


def test_success_streams_the_text_and_passes(api: LoopbackAPI) -> None:
    result = run("--base-url", api.url)

    assert result.exit_code == EXIT_PASS, result.output
    assert result.stdout.startswith(ANSWER + "\n")
    assert "live-check: PASS" in result.stdout
    assert attempts_in(result.stdout) == 1
    assert re.search(r"stop reason\s+end_turn", result.stdout)
    assert re.search(rf"tokens\s+{INPUT_TOKENS} in, {len(DEFAULT_TEXT)} out", result.stdout)
    assert re.search(r"request id\s+req_loopback_001", result.stdout)
    assert result.stderr == ""


def test_the_sdk_sends_the_configured_request(api: LoopbackAPI) -> None:
    run("--base-url", api.url, "--model", "claude-test-1", "--max-tokens", "17", "--prompt", "Say ok")

    [request] = api.requests
    assert request.path == "/v1/messages"
    assert request.body["model"] == "claude-test-1"
    assert request.body["max_tokens"] == 17
    assert request.body["stream"] is True
    assert request.body["messages"] == [{"role": "user", "content": "Say ok"}]
    assert request_key(request.headers) == KEY
    assert request.headers["x-stainless-retry-count"] == "0"


def test_json_report_has_the_documented_keys(api: LoopbackAPI) -> None:
    result, report = run_json("--base-url", api.url, "--timeout", "9.5", "--max-retries", "1")

    assert result.exit_code == EXIT_PASS
    assert set(report) == REPORT_KEYS
    assert report["schema_version"] == 1
    assert report["result"] == "PASS"
    assert report["exit_code"] == 0
    assert report["model"] == report["response_model"] == "claude-haiku-4-5"
    assert report["base_url"].rstrip("/") == api.url
    assert report["text"] == ANSWER
    assert 0 <= report["time_to_first_token_s"] <= report["total_time_s"] < 5
    assert report["stop_reason"] == "end_turn"
    assert (report["input_tokens"], report["output_tokens"]) == (INPUT_TOKENS, len(DEFAULT_TEXT))
    assert report["request_id"] == "req_loopback_001"
    assert (report["attempts"], report["retries"]) == (1, 0)
    assert (report["timeout_s"], report["max_retries"], report["deadline_s"]) == (9.5, 1, 300.0)
    assert report["sdk_version"]
    assert report["failure"] is None
    assert ANSWER not in result.stdout.replace(json.dumps(ANSWER)[1:-1], "")  # the text is not echoed raw


def test_output_file_takes_the_report(api: LoopbackAPI, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = run("--base-url", api.url, "--output-format", "json", "--output-file", str(target))

    assert result.exit_code == EXIT_PASS
    assert result.stdout == ""
    assert json.loads(target.read_text())["result"] == "PASS"


def test_quiet_prints_one_line_and_no_text(api: LoopbackAPI) -> None:
    result = run("--base-url", api.url, "-q")

    assert result.exit_code == EXIT_PASS
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("live-check: PASS")
    assert ANSWER not in result.stdout


# ---------------------------------------------------------------------------------------------
# Where the settings come from.


def test_flags_override_the_config_file(api: LoopbackAPI, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.auditor.live]\n"
        'model = "claude-from-file"\n'
        "max-tokens = 33\n"
        "timeout = 7\n"
        "max-retries = 1\n"
        'prompt = "Prompt from file"\n'
        f'base-url = "{api.url}"\n'
    )
    result, report = run_json("--max-tokens", "21", "--timeout", "3")

    assert result.exit_code == EXIT_PASS
    [request] = api.requests
    assert request.body["model"] == "claude-from-file"
    assert request.body["max_tokens"] == 21
    assert request.body["messages"][0]["content"] == "Prompt from file"
    assert (report["timeout_s"], report["max_retries"]) == (3.0, 1)


def test_explicit_config_file(api: LoopbackAPI, tmp_path: Path) -> None:
    config = tmp_path / "elsewhere" / "auditor.toml"
    config.parent.mkdir()
    config.write_text(f'[live]\nmodel = "claude-explicit"\nbase-url = "{api.url}"\n')

    result = run("--config", str(config))

    assert result.exit_code == EXIT_PASS
    assert api.requests[0].body["model"] == "claude-explicit"


def test_base_url_from_the_environment(api: LoopbackAPI) -> None:
    result, report = run_json(ANTHROPIC_BASE_URL=api.url)

    assert result.exit_code == EXIT_PASS
    assert report["base_url"].rstrip("/") == api.url


def test_base_url_flag_beats_the_environment(api: LoopbackAPI) -> None:
    result = run("--base-url", api.url, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{unused_port()}")

    assert result.exit_code == EXIT_PASS
    assert len(api.requests) == 1


# ---------------------------------------------------------------------------------------------
# Refusals: exit 4, one attempt (the SDK does not retry them).


def test_rejected_key(tmp_path: Path) -> None:
    with LoopbackAPI(api_key="sk-ant-the-right-key") as api:
        result = run("--base-url", api.url)

    assert result.exit_code == EXIT_REFUSED
    assert "API key was rejected (HTTP 401" in result.stdout
    assert "check ANTHROPIC_API_KEY" in result.stdout
    assert attempts_in(result.stdout) == 1
    assert len(api.requests) == 1


def test_a_rejected_key_names_the_header_the_installed_sdk_sent() -> None:
    """A gateway may expect `x-api-key` while a 2.x SDK sends a bearer token (or the other way
    round): the fix names the header the SDK really used, as the server recorded it."""
    import anthropic

    from auditor.sdk.versions import release

    with LoopbackAPI(api_key="sk-ant-the-right-key") as api:
        result, report = run_json("--base-url", api.url)
    sent = api.requests[0].headers
    header = "Authorization: Bearer <key>" if release(anthropic.__version__).bearer_key else "X-Api-Key: <key>"
    assert (sent.get("authorization"), sent.get("x-api-key")) == ((f"Bearer {KEY}", None) if "Bearer" in header else (None, KEY))
    assert report["failure"]["fix"] == (
        f"check ANTHROPIC_API_KEY: it must hold a valid, active API key for {api.url}; anthropic "
        f"{anthropic.__version__} sends it as `{header}`, which the server there must accept"
    )
    assert result.exit_code == EXIT_REFUSED


def test_no_permission(api: LoopbackAPI) -> None:
    api.script(error(403, "permission_error", "Your API key does not have permission to use this resource."))
    result = run("--base-url", api.url, "--model", "claude-restricted")

    assert result.exit_code == EXIT_REFUSED
    assert "no permission" in result.stdout
    assert "HTTP 403" in result.stdout
    assert "claude-restricted" in result.stdout
    assert attempts_in(result.stdout) == 1


def test_bad_request_shows_the_api_message(api: LoopbackAPI) -> None:
    message = "max_tokens: 999999 > 64000, which is the maximum allowed number of output tokens"
    api.script(error(400, "invalid_request_error", message))
    result, report = run_json("--base-url", api.url, "--max-tokens", "999999")

    assert result.exit_code == EXIT_REFUSED
    failure = report["failure"]
    assert set(failure) == FAILURE_KEYS
    assert failure["kind"] == "bad_request"
    assert message in failure["cause"]
    assert (failure["status_code"], failure["error_type"], failure["api_message"]) == (
        400,
        "invalid_request_error",
        message,
    )
    assert report["request_id"] == "req_loopback_001"
    assert report["attempts"] == 1


def test_unknown_model_is_named() -> None:
    with LoopbackAPI(known_models={"claude-haiku-4-5"}) as api:
        result = run("--base-url", api.url, "--model", "claude-nonexistent-9")

    assert result.exit_code == EXIT_REFUSED
    assert "model 'claude-nonexistent-9' was not found (HTTP 404" in result.stdout
    assert "check the configured model id" in result.stdout
    assert attempts_in(result.stdout) == 1


# ---------------------------------------------------------------------------------------------
# Transient failures: exit 5 once every retry is spent.


def test_rate_limited_twice_then_success_honours_retry_after_ms(api: LoopbackAPI) -> None:
    # `retry-after-ms` wins over `retry-after` (seconds) in the SDK; were it ignored, the
    # 1 s retry-after (or the 0.5 s+ backoff) would make this take over a second.
    message = "Number of requests has exceeded your rate limit"
    limited = error(429, "rate_limit_error", message, retry_after_ms=20, headers=(("retry-after", "1"),))
    api.script(limited, limited)
    started = time.perf_counter()
    result = run("--base-url", api.url)
    elapsed = time.perf_counter() - started

    assert result.exit_code == EXIT_PASS, result.output
    assert attempts_in(result.stdout) == 3
    assert "(2 retries)" in result.stdout
    assert server_retry_counts(api) == ["0", "1", "2"]
    assert elapsed < 0.9


def test_rate_limited_every_time(api: LoopbackAPI) -> None:
    api.default = error(429, "rate_limit_error", "Number of requests has exceeded your rate limit")
    result = run("--base-url", api.url, "--max-retries", "1")

    assert result.exit_code == EXIT_TRANSIENT
    assert "rate limited (HTTP 429" in result.stdout
    assert "after 2 attempts" in result.stdout


@pytest.mark.parametrize("max_retries", [0, 2, 3])
def test_persistent_overload(api: LoopbackAPI, max_retries: int) -> None:
    api.default = error(529, "overloaded_error", "Overloaded")
    result, report = run_json("--base-url", api.url, "--max-retries", str(max_retries))

    assert result.exit_code == EXIT_TRANSIENT
    assert report["attempts"] == len(api.requests) == max_retries + 1
    assert report["failure"]["kind"] == "overloaded"
    assert f"overloaded (HTTP 529: Overloaded) after {max_retries + 1} attempt" in report["failure"]["cause"]


def test_persistent_server_error(api: LoopbackAPI) -> None:
    api.default = error(500, "api_error", "Internal server error")
    result = run("--base-url", api.url)

    assert result.exit_code == EXIT_TRANSIENT
    assert "server error (HTTP 500: Internal server error) after 3 attempts" in result.stdout
    assert attempts_in(result.stdout) == 3


def test_no_first_byte_within_the_timeout(api: LoopbackAPI) -> None:
    api.default = stall(3.0)
    started = time.perf_counter()
    result, report = run_json("--base-url", api.url, "--timeout", "0.5", "--max-retries", "1")
    elapsed = time.perf_counter() - started

    assert result.exit_code == EXIT_TRANSIENT
    assert report["attempts"] == len(api.requests) == 2
    assert report["failure"]["kind"] == "timeout"
    assert "no response within the 0.5 s timeout after 2 attempts" in report["failure"]["cause"]
    # Two 0.5 s timeouts plus one backoff of 0.375-0.5 s; generous on top for a busy machine.
    assert 1.0 <= report["total_time_s"] <= elapsed < 3.0


@pytest.mark.parametrize("framing", ["eof", "chunked"])
def test_stream_cut_off_mid_answer(api: LoopbackAPI, framing: str) -> None:
    # "eof": the body simply ends, which the SDK does not raise on; "chunked": the chunked body
    # is never finished, which httpx raises on (RemoteProtocolError) while the text is read.
    api.script(cut_off(after_events=5, framing=framing))
    result = run("--base-url", api.url)

    assert result.exit_code == EXIT_TRANSIENT
    assert result.stdout.startswith("Ready.\n")  # the text that did arrive was shown
    assert "live-check: FAIL" in result.stdout
    assert "cut off mid-answer" in result.stdout
    assert re.search(r"stop reason\s+none", result.stdout)
    assert attempts_in(result.stdout) == 1


def test_stream_cut_off_before_any_event(api: LoopbackAPI) -> None:
    api.script(cut_off(after_events=0, framing="eof"))
    result, report = run_json("--base-url", api.url)

    assert result.exit_code == EXIT_TRANSIENT
    assert report["failure"]["kind"] == "cut_off"
    assert "message_stop" in report["failure"]["cause"]


def test_error_event_mid_stream(api: LoopbackAPI) -> None:
    api.script(error_event("overloaded_error", "Overloaded"))
    result, report = run_json("--base-url", api.url)

    assert result.exit_code == EXIT_TRANSIENT
    assert report["failure"]["kind"] == "overloaded"
    assert "mid-stream" in report["failure"]["cause"]
    assert report["text"] == "Ready"


def test_nothing_listening() -> None:
    url = f"http://127.0.0.1:{unused_port()}"
    result, report = run_json("--base-url", url, "--max-retries", "1")

    assert result.exit_code == EXIT_TRANSIENT
    assert report["failure"]["kind"] == "connection"
    assert f"could not connect to {url}" in report["failure"]["cause"]
    assert report["attempts"] == 2


def test_unexpected_failure_is_a_report_not_a_traceback(api: LoopbackAPI) -> None:
    api.script(garbage())
    result = run("--base-url", api.url)

    assert result.exit_code == EXIT_TRANSIENT
    assert "unexpected JSONDecodeError" in result.stdout
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# Configuration problems: exit 2, one line on stderr, before any network use.


def assert_config_problem(result: Result, api: LoopbackAPI, *words: str) -> None:
    assert result.exit_code == EXIT_CONFIG, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("live-check: ")
    for word in words:
        assert word in result.stderr
    assert api.requests == []


@pytest.mark.parametrize("key", [None, ""])
def test_no_api_key(api: LoopbackAPI, key: str | None) -> None:
    started = time.perf_counter()
    result = run("--base-url", api.url, key=key)

    assert_config_problem(result, api, "ANTHROPIC_API_KEY is not set")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--timeout", "-1"], ["timeout must be above 0 s", "--timeout"]),
        (["--timeout", "0"], ["timeout must be above 0 s"]),
        (["--max-tokens", "0"], ["max-tokens must be at least 1"]),
        (["--max-retries", "-1"], ["max-retries must be 0 or more"]),
        (["--deadline", "0"], ["deadline must be above 0 s, got 0.0 (from --deadline)"]),
        (["--deadline", "nan"], ["deadline must be above 0 s, got nan (from --deadline)"]),
        (["--model", " "], ["model must not be empty"]),
        (["--prompt", ""], ["prompt must not be empty"]),
        (["--base-url", "ftp://example.com"], ["base-url", "http:// or https://"]),
        (["--config", "missing.toml"], ["missing.toml: no such configuration file"]),
        (["--output-file", "no/such/folder/report.json"], ["--output-file"]),
    ],
)
def test_bad_settings(api: LoopbackAPI, args: list[str], words: list[str]) -> None:
    assert_config_problem(run("--base-url", api.url, *args), api, *words)


def test_bad_base_url_in_the_environment(api: LoopbackAPI) -> None:
    assert_config_problem(run(ANTHROPIC_BASE_URL="localhost:8080"), api, "ANTHROPIC_BASE_URL")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[tool.auditor.live]\ntimeout = -5\n", ["pyproject.toml", "timeout", "zero or more"]),
        ("[tool.auditor.live]\nmodle = 'x'\n", ["pyproject.toml", "modle", "unknown key"]),
        ("[tool.auditor.live\n", ["not valid TOML"]),
        ("[tool.auditor.live]\ntimeout = 0\n", ["timeout must be above 0 s", "pyproject.toml"]),
        ("[tool.auditor.live]\ndeadline = 0\n", ["deadline must be above 0 s, got 0.0 (from `deadline` in"]),
    ],
)
def test_config_file_problems(api: LoopbackAPI, tmp_path: Path, text: str, words: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    assert_config_problem(run("--base-url", api.url), api, *words)


# ---------------------------------------------------------------------------------------------
# The key never leaks, whatever the server echoes.


@pytest.mark.parametrize(
    "reply",
    [
        error(400, "invalid_request_error", f"invalid x-api-key: {KEY}"),
        error(401, "authentication_error", f"invalid x-api-key: {KEY}"),
        error(500, "api_error", f"upstream said {KEY!r}"),
        error_event("api_error", f"stream broke for {KEY}"),
        ok(chunks=("Your key is ", KEY[:9], KEY[9:20], KEY[20:], " and that is all.")),
    ],
    ids=["400", "401", "500", "error-event", "key-split-across-chunks"],
)
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_the_key_is_never_printed(api: LoopbackAPI, tmp_path: Path, reply: object, output_format: str) -> None:
    api.default = reply  # type: ignore[assignment]
    target = tmp_path / "report.out"
    result = run("--base-url", api.url, "--output-format", output_format, "--output-file", str(target))

    written = target.read_text()
    assert result.exit_code in (EXIT_PASS, EXIT_REFUSED, EXIT_TRANSIENT)
    assert api.requests, "the server was reached"
    for output in (result.stdout, result.stderr, written):
        assert KEY not in output
    assert "[REDACTED]" in result.stdout + written


def test_log_records_are_scrubbed_during_the_check() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("anthropic._base_client")
    logging.getLogger().addHandler(handler)
    try:
        with scrubbed_logging(Scrubber([KEY])):
            logger.warning("sending with key %s", KEY)
            try:
                raise ValueError(f"server echoed {KEY}")
            except ValueError:
                logger.warning("failed", exc_info=True)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "sending with key [REDACTED]" in stream.getvalue()
    assert "server echoed [REDACTED]" in stream.getvalue()
    assert KEY not in stream.getvalue()


# ---------------------------------------------------------------------------------------------
# A malformed key: exit 2 before any request, one line that names the problem, never the key.


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (KEY + "\n", "ends with a newline: remove it (a key read from a file often keeps its line ending)"),
        (KEY + "\r\n", "ends with a newline: remove it (a key read from a file often keeps its line ending)"),
        (KEY + " ", "ends with a space: remove it (a key read from a file often keeps its line ending)"),
        ("\t" + KEY, "starts with a tab: remove it"),
        (KEY[:7] + " " + KEY[7:], f"contains a space at position 8 of {len(KEY) + 1}: an API key is printable ASCII without spaces"),
        (
            KEY[:7] + "\x1b" + KEY[7:],
            f"contains a control character (U+001B) at position 8 of {len(KEY) + 1}: an API key is printable ASCII without spaces",
        ),
        (
            KEY[:7] + "\u00e9" + KEY[7:],
            f"contains a non-ASCII character (U+00E9) at position 8 of {len(KEY) + 1}: an API key is printable ASCII without spaces",
        ),
        ("sk-ant", "is only 6 characters long: too short for an API key (live-check needs 8 or more)"),
    ],
    ids=["newline", "crlf", "trailing-space", "leading-tab", "inner-space", "escape", "non-ascii", "short"],
)
def test_a_malformed_key_is_refused_before_any_request(api: LoopbackAPI, key: str, problem: str) -> None:
    result = run("--base-url", api.url, "--output-format", "json", key=key)

    assert (result.exit_code, result.stdout, result.stderr) == (EXIT_CONFIG, "", f"live-check: ANTHROPIC_API_KEY {problem}\n")
    assert api.requests == []


# ---------------------------------------------------------------------------------------------
# Something other than the API answered: a redirect, or a 200 that is not an event stream.


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_fails_and_is_not_followed(status: int) -> None:
    with LoopbackAPI() as api, LoopbackAPI() as target:
        api.script(redirect(f"{target.url}/v1/messages", status))
        result, report = run_json("--base-url", api.url)

    assert result.exit_code == EXIT_REFUSED
    assert report["failure"]["kind"] == "redirect"
    assert report["failure"]["cause"] == (
        f"the server answered with a redirect (HTTP {status} to {target.url}/v1/messages): the API never "
        "redirects, so a proxy, a captive portal or a wrong base URL answered"
    )
    assert report["failure"]["status_code"] == status
    assert (report["attempts"], len(api.requests), target.requests) == (1, 1, [])  # the key went nowhere else


@pytest.mark.parametrize(
    ("reply", "kind", "cause"),
    [
        (
            json_error_200("overloaded_error", "Overloaded"),
            "error_body",
            "the server answered HTTP 200 with a JSON error instead of an event stream (overloaded_error: Overloaded)",
        ),
        (
            html_200(),
            "html_page",
            "the server answered HTTP 200 with an HTML page instead of an event stream (titled 'Guest Wi-Fi: sign in')",
        ),
        (
            body_200("text/plain", "upstream connect error\nor disconnect/reset before headers"),
            "not_a_stream",
            "the server answered HTTP 200 with content-type text/plain, starting 'upstream connect error or "
            "disconnect/reset before headers' instead of an event stream",
        ),
    ],
    ids=["json-error", "html", "plain-text"],
)
def test_a_200_that_is_not_an_event_stream(api: LoopbackAPI, reply: Reply, kind: str, cause: str) -> None:
    api.script(reply)
    result, report = run_json("--base-url", api.url)

    assert result.exit_code == EXIT_REFUSED
    failure = report["failure"]
    assert (failure["kind"], failure["cause"], failure["status_code"]) == (kind, cause, 200)
    assert (report["attempts"], report["request_id"]) == (1, "req_loopback_001")
    if kind == "error_body":
        assert (failure["error_type"], failure["api_message"]) == ("overloaded_error", "Overloaded")


# ---------------------------------------------------------------------------------------------
# The deadline bounds the whole check.


def test_a_dripping_stream_is_cut_at_the_deadline(api: LoopbackAPI) -> None:
    # Every byte arrives well within the 5 s timeout, so only the deadline can end this.
    api.script(drip(interval=0.4))
    started = time.perf_counter()
    result, report = run_json("--base-url", api.url, "--timeout", "5", "--deadline", "2")
    elapsed = time.perf_counter() - started

    assert result.exit_code == EXIT_TRANSIENT
    assert (report["result"], report["failure"]["kind"], report["deadline_s"]) == ("FAIL", "deadline", 2.0)
    assert re.fullmatch(
        r"the check did not finish within the 2 s deadline \(the answer was still arriving: [1-9] bytes and "
        r"0 characters of text in 2\.\d s, attempt 1\)",
        report["failure"]["cause"],
    ), report["failure"]["cause"]
    assert 2.0 <= elapsed < 4.0


def test_no_answer_within_the_deadline(api: LoopbackAPI) -> None:
    api.default = stall(5.0)
    started = time.perf_counter()
    result = run("--base-url", api.url, "--timeout", "10", "--deadline", "1", "-q")
    elapsed = time.perf_counter() - started

    assert result.exit_code == EXIT_TRANSIENT
    assert result.stdout.startswith(
        "live-check: FAIL: the check did not finish within the 1 s deadline (no answer yet to attempt 1, whose "
        "10 s timeout had not run out). Fix: raise --deadline"
    )
    assert 1.0 <= elapsed < 2.5


@pytest.mark.parametrize("header", [("retry-after", "3600"), ("retry-after-ms", "3600000")])
def test_a_retry_after_beyond_the_deadline_is_reported_not_slept(api: LoopbackAPI, header: tuple[str, str]) -> None:
    api.default = error(429, "rate_limit_error", "Number of requests has exceeded your rate limit", None, (header,))
    started = time.perf_counter()
    result, report = run_json("--base-url", api.url, "--deadline", "30")
    elapsed = time.perf_counter() - started

    assert result.exit_code == EXIT_TRANSIENT
    failure = report["failure"]
    assert (failure["kind"], failure["status_code"], report["attempts"], len(api.requests)) == ("rate_limited", 429, 1, 1)
    assert re.fullmatch(
        r"rate limited \(HTTP 429: Number of requests has exceeded your rate limit\) after 1 attempt; the API "
        r"asked to wait 3,600 s before retrying, more than the (30|29\.\d) s left of the 30 s deadline",
        failure["cause"],
    ), failure["cause"]
    assert failure["fix"] == "rerun in 3,600 s or later, or give the SDK time to wait it out with a --deadline above 3,600 s"
    assert elapsed < 3.0


def test_a_retry_after_on_the_last_attempt_is_not_waited_for(api: LoopbackAPI) -> None:
    api.default = error(429, "rate_limit_error", "Too many requests", None, (("retry-after", "3600"),))
    result, report = run_json("--base-url", api.url, "--max-retries", "0")

    assert result.exit_code == EXIT_TRANSIENT
    assert report["failure"]["cause"] == "rate limited (HTTP 429: Too many requests) after 1 attempt"


# ---------------------------------------------------------------------------------------------
# End to end in a fresh interpreter: real exit codes, no traceback, no SDK import at load time.


def run_process(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    full_env = {name: value for name, value in os.environ.items() if env.get(name, value) is not None}
    full_env.update({name: value for name, value in env.items() if value is not None})
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    code = "from auditor.live import live_check; live_check()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=full_env, capture_output=True, text=True, timeout=30
    )


def test_subprocess_pass_and_refusal(api: LoopbackAPI) -> None:
    api.script(ok(), error(401, "authentication_error", f"invalid x-api-key {KEY}"))

    passed = run_process("--base-url", api.url, "--output-format", "json", env=clean_env())
    refused = run_process("--base-url", api.url, env=clean_env(ANTHROPIC_LOG="debug"))

    assert passed.returncode == EXIT_PASS, passed.stderr
    assert json.loads(passed.stdout)["result"] == "PASS"
    assert refused.returncode == EXIT_REFUSED
    assert "API key was rejected" in refused.stdout
    for process in (passed, refused):
        assert "Traceback" not in process.stderr
        assert KEY not in process.stdout + process.stderr


def test_subprocess_transient_and_config_problem() -> None:
    url = f"http://127.0.0.1:{unused_port()}"

    unreachable = run_process("--base-url", url, "--max-retries", "0", env=clean_env())
    no_key = run_process("--base-url", url, env=clean_env(key=None))

    assert unreachable.returncode == EXIT_TRANSIENT
    assert "could not connect" in unreachable.stdout
    assert no_key.returncode == EXIT_CONFIG
    assert no_key.stderr.strip().count("\n") == 0
    assert "ANTHROPIC_API_KEY" in no_key.stderr
    for process in (unreachable, no_key):
        assert "Traceback" not in process.stderr


def test_importing_the_module_does_not_import_the_sdk() -> None:
    code = "import sys, auditor.live; print('anthropic' in sys.modules, 'httpx2' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["False", "False"], out.stderr


# ---------------------------------------------------------------------------------------------
# The installed `auditor` command in a subprocess: SDK log output, Ctrl-C, no SDK at all.


def run_installed(*args: str, env: dict[str, str | None], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert AUDITOR.is_file(), f"{AUDITOR} is missing: pip install -e '.[test]'"
    full_env = {name: value for name, value in os.environ.items() if env.get(name, value) is not None}
    full_env.update({name: value for name, value in env.items() if value is not None})
    return subprocess.run([str(AUDITOR), *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=60)


# A key whose escaped, percent-encoded and base64 spellings all differ from it.
ODD_KEY = 'sk-ant-echo/7f3c+9e1d=2b4a&"6085\\SECRET'


def spellings(secret: str) -> dict[str, str]:
    """How a server or a log line may spell `secret`; worked out here, not by auditor.redact."""
    raw = secret.encode()
    return {
        "raw": secret,
        "repr": repr(secret)[1:-1],
        "repr-of-repr": repr(repr(secret))[2:-2],
        "json": json.dumps(secret)[1:-1],
        "url": quote(secret, safe=""),
        "base64": base64.b64encode(raw).decode(),
        "basic-auth": base64.b64encode(b"user:" + raw).decode(),
        "bearer": f"Bearer {secret}",
        "x-api-key": f"x-api-key: {secret}",
    }


def assert_no_spelling_of(secret: str, *outputs: str) -> None:
    """Neither any spelling of `secret` nor the middle half of one (a base64 core) is in the outputs."""
    text = "\n".join(outputs)
    for name, form in spellings(secret).items():
        middle = form[len(form) // 4 : 3 * len(form) // 4]
        assert form not in text and middle not in text, f"the {name} spelling leaked"


def test_sdk_debug_log_never_shows_the_key_echoed_in_headers(api: LoopbackAPI) -> None:
    # ANTHROPIC_LOG=debug makes the SDK log every response header through the handler its import
    # installs; the server echoes the key in every spelling.
    echoes = tuple((f"x-echo-{name}", form) for name, form in spellings(ODD_KEY).items())
    api.default = Reply(headers=echoes)

    process = run_installed("live-check", "--base-url", api.url, env=clean_env(ODD_KEY, ANTHROPIC_LOG="debug"))

    assert process.returncode == EXIT_PASS, process.stderr
    assert request_key(api.requests[0].headers) == ODD_KEY
    assert "HTTP Response: POST" in process.stderr  # the SDK did log the headers
    assert "'x-echo-raw': '[REDACTED]'" in process.stderr
    assert_no_spelling_of(ODD_KEY, process.stdout, process.stderr)


def test_a_base_url_password_is_never_shown(api: LoopbackAPI, tmp_path: Path) -> None:
    password = "pa55-w0rd-Secret"
    url = api.url.replace("http://", f"http://user:{password}@")
    api.default = Reply(headers=(("x-echo-auth", "Basic " + base64.b64encode(f"user:{password}".encode()).decode()),))
    target = tmp_path / "report.json"

    process = run_installed(
        "live-check", "--base-url", url, "--output-format", "json", "--output-file", str(target),
        env=clean_env(ANTHROPIC_LOG="debug"),
    )

    assert process.returncode == EXIT_PASS, process.stderr
    report = json.loads(target.read_text())
    assert report["base_url"].rstrip("/") == api.url.replace("http://", "http://user:[REDACTED]@")
    assert "HTTP Request: POST http://user:[REDACTED]@127.0.0.1" in process.stderr
    assert_no_spelling_of(password, process.stdout, process.stderr, target.read_text())
    assert_no_spelling_of(f"user:{password}", process.stdout, process.stderr, target.read_text())


def test_a_short_base_url_password_is_masked_in_the_url(api: LoopbackAPI) -> None:
    result, report = run_json("--base-url", api.url.replace("http://", "http://me:pw@"))

    assert result.exit_code == EXIT_PASS
    assert report["base_url"].rstrip("/") == api.url.replace("http://", "http://me:[REDACTED]@")
    assert "me:pw@" not in result.stdout
    assert "[REDACTED]" not in report["text"]  # a short secret is not scrubbed from ordinary text


def test_ctrl_c_exits_130_with_one_line(api: LoopbackAPI) -> None:
    api.default = stall(10.0)
    env = {name: value for name, value in os.environ.items() if not name.startswith("ANTHROPIC_")}
    env["ANTHROPIC_API_KEY"] = KEY
    process = subprocess.Popen(
        [str(AUDITOR), "live-check", "--base-url", api.url], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        waited = time.monotonic() + 20
        while not api.requests and time.monotonic() < waited and process.poll() is None:
            time.sleep(0.05)
        assert api.requests, "the request was sent"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert (process.returncode, out, err) == (130, "", "auditor: interrupted\n")


BLOCK_THE_SDK = """
import sys

class RefuseTheSDK:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "anthropic":
            raise {error}
        return None

sys.meta_path.insert(0, RefuseTheSDK())
"""


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            "ModuleNotFoundError(\"No module named 'anthropic'\", name='anthropic')",
            "live-check: the anthropic SDK is not installed; install it with: pip install 'auditor[live]'\n",
        ),
        (
            "ImportError(\"cannot import name 'Timeout' from 'httpx2'\")",
            "live-check: the anthropic SDK failed to import (ImportError: cannot import name 'Timeout' from 'httpx2'): "
            "reinstall it with pip install 'auditor[live]'\n",
        ),
    ],
    ids=["not-installed", "broken"],
)
def test_live_check_without_the_sdk(api: LoopbackAPI, tmp_path: Path, error: str, message: str) -> None:
    # A real import failure in the installed command: sitecustomize refuses `anthropic`.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_THE_SDK.format(error=error))

    process = run_installed("live-check", "--base-url", api.url, env=clean_env(PYTHONPATH=str(blocker)))

    assert (process.returncode, process.stdout, process.stderr) == (EXIT_CONFIG, "", message)
    assert api.requests == []


def test_check_runs_without_the_sdk(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_THE_SDK.format(error="ModuleNotFoundError('no', name='anthropic')"))
    blocked = run_installed(
        "check", "examples/", "--no-cache", "--output-format", "concise", cwd=ROOT, env={"PYTHONPATH": str(blocker)}
    )
    plain = run_installed("check", "examples/", "--no-cache", "--output-format", "concise", cwd=ROOT, env={})

    assert blocked.returncode == 1, blocked.stderr
    assert blocked.stderr == ""
    assert blocked.stdout == plain.stdout
    assert re.search(r"^examples/.*: ANT\d{3} ", blocked.stdout, re.MULTILINE)


def test_the_sdk_is_an_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    assert [dep for dep in project["dependencies"] if dep.startswith("anthropic")] == []
    assert [dep for dep in extras["live"] if dep.startswith("anthropic")] == ["anthropic>=0.30"]
    assert [dep for dep in extras["test"] if dep.startswith("anthropic")] == ["anthropic>=0.30"]
