"""`auditor live-check`: one real streamed request that proves the configured settings work.

The static rules can only say that a timeout or a retry budget looks wrong; this command sends
one request with exactly the configured settings and, when it fails, names the cause and the fix.

`anthropic` is imported only when the check runs: `auditor check` must never import the SDK,
which is an optional extra (`auditor[live]`). The API key (and a password in the base URL) is
scrubbed from everything this module prints, writes or logs (auditor/redact.py); what happens
on the wire below the SDK is watched by auditor/live_guard.py, which also enforces the deadline.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click

from auditor.config import ConfigError, ConfigResolver, LiveSettings, Settings
from auditor.live_guard import (
    StopCheck,
    WireGuard,
    deadline_alarm,
)
from auditor.live_diagnosis import classify_failure, describe, request_id_of, stop_failure
from auditor.live_report import EXIT_CONFIG, EXIT_TRANSIENT, Report, render_json, render_quiet, render_text
from auditor.redact import MIN_SECRET_LENGTH, Scrubber, StreamScrubber, scrubbed_logging, url_secrets

KEY_VARIABLE = "ANTHROPIC_API_KEY"
BASE_URL_VARIABLE = "ANTHROPIC_BASE_URL"
INSTALL_SDK = "pip install 'auditor[live]'"


class ConfigProblem(Exception):
    """A setting or environment problem found before any network use: exit 2, one line."""


# ---------------------------------------------------------------------------------------------
# Settings: the file, then the flags, checked before any network use.


def load_settings(config_file: Path | None, overrides: dict[str, Any]) -> tuple[LiveSettings, Settings]:
    """`[tool.auditor.live]` from the nearest (or the given) config file, with flags on top."""
    settings = ConfigResolver(config_file).for_path(Path.cwd())
    given = {name: value for name, value in overrides.items() if value is not None}
    return dataclasses.replace(settings.live, **given), settings


def check_settings(live: LiveSettings, settings: Settings, overrides: dict[str, Any]) -> None:
    """Reject values the SDK would accept but that cannot work (e.g. a negative timeout)."""

    def origin(name: str) -> str:
        key = name.replace("_", "-")
        if overrides.get(name) is not None:
            return f"--{key}"
        source = settings.source_of(f"live.{key}")
        return f"`{key}` in {source}" if source != "default" else f"the default {key}"

    problems = [
        (not live.model.strip(), "model", "must not be empty"),
        (live.max_tokens < 1, "max_tokens", f"must be at least 1, got {live.max_tokens}"),
        (not (live.timeout > 0 and math.isfinite(live.timeout)), "timeout", f"must be above 0 s, got {live.timeout}"),
        (live.max_retries < 0, "max_retries", f"must be 0 or more, got {live.max_retries}"),
        (not (live.deadline > 0 and math.isfinite(live.deadline)), "deadline", f"must be above 0 s, got {live.deadline}"),
        (not live.prompt.strip(), "prompt", "must not be empty"),
    ]
    for failed, name, message in problems:
        if failed:
            raise ConfigProblem(f"{name.replace('_', '-')} {message} (from {origin(name)})")
    if live.base_url is not None:
        _check_url(live.base_url, f"base-url (from {origin('base_url')})")
    elif BASE_URL_VARIABLE in os.environ:
        _check_url(os.environ[BASE_URL_VARIABLE], BASE_URL_VARIABLE)


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigProblem(f"{where} must be an http:// or https:// URL, got {url!r}")


def read_api_key() -> str:
    """The key, as the SDK reads it: ANTHROPIC_API_KEY, where an empty value counts as unset.

    A key that no HTTP header can carry is refused here, before httpx would put it (whole) into
    an "Illegal header value" error, and so is a key too short to be scrubbed from the output.
    """
    key = os.environ.get(KEY_VARIABLE) or None
    if key is None:
        raise ConfigProblem(f"{KEY_VARIABLE} is not set: export your API key to run a live check")
    problem = key_problem(key)
    if problem is not None:
        raise ConfigProblem(f"{KEY_VARIABLE} {problem}")
    return key


_CHARACTER_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}


def key_problem(key: str) -> str | None:
    """What makes `key` unusable, in words that never show it: API keys are printable ASCII."""
    bad = [index for index, char in enumerate(key) if not "!" <= char <= "~"]
    if bad and bad[0] == 0:
        return f"starts with {_character_name(key[0])}: remove it"
    if bad and bad[-1] == len(key) - 1:
        what = _character_name(key[-1])
        return f"ends with {what}: remove it (a key read from a file often keeps its line ending)"
    if bad:
        what = _character_name(key[bad[0]])
        return f"contains {what} at position {bad[0] + 1} of {len(key)}: an API key is printable ASCII without spaces"
    if len(key) < MIN_SECRET_LENGTH:
        return f"is only {len(key)} characters long: too short for an API key (live-check needs {MIN_SECRET_LENGTH} or more)"
    return None


def _character_name(char: str) -> str:
    if char in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[char]
    kind = "a non-ASCII character" if not char.isascii() else "a control character"
    return f"{kind} (U+{ord(char):04X})"


# ---------------------------------------------------------------------------------------------
# The request.


def build_client(anthropic: ModuleType, live: LiveSettings, api_key: str, guard: WireGuard) -> Any:
    """The client exactly as configured; base_url None lets the SDK read ANTHROPIC_BASE_URL itself.

    Redirects are not followed (the SDK's default client follows them): the API never redirects,
    and a redirect target must never receive the key.
    """
    http_client = anthropic.DefaultHttpxClient(event_hooks=guard.hooks(), follow_redirects=False)
    return anthropic.Anthropic(
        api_key=api_key,
        base_url=live.base_url,
        timeout=live.timeout,
        max_retries=live.max_retries,
        http_client=http_client,
    )


def stream_once(
    client: Any, live: LiveSettings, report: Report, guard: WireGuard, on_text: Callable[[str], None]
) -> None:
    """Send the one streamed request, pass text on as it arrives, and fill the report.

    A body that simply ends raises nothing in the SDK: only a missing `message_stop` (and a
    `stop_reason` of None) shows the answer was cut off, so that is checked here.
    """
    started = time.perf_counter()
    saw_start = saw_stop = False
    messages = [{"role": "user", "content": live.prompt}]
    with client.messages.stream(model=live.model, max_tokens=live.max_tokens, messages=messages) as stream:
        report.stream_opened = True
        report.request_id = getattr(stream, "request_id", None) or stream.response.headers.get("request-id")
        for event in stream:
            guard.check_deadline()
            if event.type == "message_start":
                saw_start = True
            elif event.type == "message_stop":
                saw_stop = True
            elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                if report.time_to_first_token_s is None:
                    report.time_to_first_token_s = time.perf_counter() - started
                report.text += event.delta.text
                on_text(event.delta.text)
        if saw_start:  # get_final_message() asserts when not even message_start arrived
            message = stream.get_final_message()
            report.response_model = message.model
            report.stop_reason = message.stop_reason
            report.input_tokens = message.usage.input_tokens
            report.output_tokens = message.usage.output_tokens
    if not saw_stop or report.stop_reason is None:
        missing = "message_stop" if not saw_stop else "stop_reason"
        detail = f"the body ended without {missing} after {len(report.text)} characters of text"
        report.failure = describe("cut_off", report, detail=detail)


def run_live_check(anthropic: ModuleType, live: LiveSettings, api_key: str, on_text: Callable[[str], None]) -> Report:
    """Build the client, stream once within the deadline, and turn whatever happens into a report."""
    guard = WireGuard(live.max_retries, live.deadline)
    try:
        client = build_client(anthropic, live, api_key, guard)
    except Exception as error:  # nothing was sent yet: a setup problem, not a failed check
        raise ConfigProblem(f"could not build the client: {type(error).__name__}: {error}") from None
    report = Report(
        model=live.model,
        base_url=str(client.base_url),
        timeout_s=live.timeout,
        max_retries=live.max_retries,
        deadline_s=live.deadline,
        sdk_version=anthropic.__version__,
    )
    started = time.perf_counter()
    with client:
        try:
            with deadline_alarm(guard.remaining()):
                stream_once(client, live, report, guard, on_text)
        except StopCheck as stop:  # seen on the wire, or the deadline: the SDK had no say
            report.attempts = guard.attempts
            if report.request_id is None and guard.response is not None:
                report.request_id = guard.response.headers.get("request-id")
            report.failure = stop_failure(stop, guard, report)
        except Exception as error:  # every failure becomes a diagnosis
            report.attempts = guard.attempts
            report.request_id = report.request_id or request_id_of(error)
            report.failure = classify_failure(error, anthropic, report)
    report.attempts = guard.attempts
    report.total_time_s = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------------------------------
# Diagnosis.


# ---------------------------------------------------------------------------------------------
# The command.


@click.command(name="live-check")
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="Use this configuration file."
)
@click.option("--model", help="Model id to call [config: model].")
@click.option("--max-tokens", type=int, help="max_tokens of the request [config: max-tokens].")
@click.option("--timeout", type=float, help="Client timeout in seconds [config: timeout].")
@click.option("--max-retries", type=int, help="Client max_retries [config: max-retries].")
@click.option("--prompt", help="The user message to send [config: prompt].")
@click.option("--base-url", help="API base URL [config: base-url, then ANTHROPIC_BASE_URL].")
@click.option("--deadline", type=float, help="Stop the whole check after this many seconds [config: deadline; 300].")
@click.option(
    "--from-code",
    type=click.Path(path_type=Path),
    help="Take timeout and max_retries from the one client construction found in this file or directory.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not print the answer; print a one-line report.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--output-file", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here, not to stdout."
)
def live_check(
    config_file: Path | None,
    model: str | None,
    max_tokens: int | None,
    timeout: float | None,
    max_retries: int | None,
    prompt: str | None,
    base_url: str | None,
    deadline: float | None,
    from_code: Path | None,
    quiet: bool,
    output_format: str,
    output_file: Path | None,
) -> None:
    """Send one real streamed request with the configured settings and report PASS or FAIL.

    Exit codes: 0 pass; 2 configuration problem (found before any network use); 4 the API
    refused the request, or something other than the API answered; 5 a transient failure that
    survived every retry, or the deadline passed; 130 interrupted (Ctrl-C, handled by
    `auditor.cli.entry` for every command).
    """
    overrides = {
        "model": model,
        "max_tokens": max_tokens,
        "timeout": timeout,
        "max_retries": max_retries,
        "prompt": prompt,
        "base_url": base_url,
        "deadline": deadline,
    }
    raise SystemExit(_live_check(config_file, overrides, from_code, quiet, output_format, output_file))


def _live_check(
    config_file: Path | None,
    overrides: dict[str, Any],
    from_code: Path | None,
    quiet: bool,
    output_format: str,
    output_file: Path | None,
) -> int:
    """Settings, key and SDK first (exit 2 on any problem, nothing sent), then the check itself."""
    raw_key = os.environ.get(KEY_VARIABLE)
    scrub = Scrubber([raw_key, raw_key and raw_key.strip()])
    try:
        if from_code is not None:
            overrides["timeout"], overrides["max_retries"] = _settings_from_code(
                from_code, overrides["timeout"], overrides["max_retries"]
            )
        live, settings = load_settings(config_file, overrides)
        check_settings(live, settings, overrides)
        api_key = read_api_key()
        if output_file is not None and not output_file.resolve().parent.is_dir():
            raise ConfigProblem(f"--output-file: the folder of {output_file} does not exist")
        base_url = live.base_url or os.environ.get(BASE_URL_VARIABLE)
        scrub = Scrubber([api_key, *url_secrets(base_url)])
        anthropic = _import_sdk()
    except (ConfigError, ConfigProblem) as problem:
        _fail_config(scrub(str(problem)))
    try:
        return _run_and_report(anthropic, live, api_key, scrub, quiet, output_format, output_file)
    except Exception as error:  # last resort: the user never sees a traceback
        click.echo(scrub(f"live-check: FAIL: internal error {type(error).__name__}: {error}"), err=True)
        return EXIT_TRANSIENT


def _settings_from_code(path: Path, timeout: float | None, max_retries: int | None) -> tuple[float, int]:
    """The code's own timeout and max_retries (the static analysis, no SDK import)."""
    from auditor.from_code import FromCodeProblem, client_settings

    if timeout is not None or max_retries is not None:
        raise ConfigProblem("--from-code takes timeout and max_retries from the code: drop --timeout and --max-retries")
    try:
        seconds, retries, where = client_settings(path)
    except FromCodeProblem as problem:
        raise ConfigProblem(str(problem)) from None
    click.echo(f"live-check: using timeout={seconds:g} and max_retries={retries} from {where}", err=True)
    return seconds, retries


def _import_sdk() -> ModuleType:
    """The SDK, an optional extra: missing or broken, it is a setup problem found before any request.

    Imported before the log scrubbing starts, because the import installs the SDK's log handler.
    """
    try:
        import anthropic
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and error.name == "anthropic":
            raise ConfigProblem(f"the anthropic SDK is not installed; install it with: {INSTALL_SDK}") from None
        raise ConfigProblem(
            f"the anthropic SDK failed to import ({type(error).__name__}: {error}): reinstall it with {INSTALL_SDK}"
        ) from None
    return anthropic


def _fail_config(message: str) -> NoReturn:
    """Exit 2 with a one-line explanation on stderr."""
    click.echo(f"live-check: {' '.join(message.split())}", err=True)
    raise SystemExit(EXIT_CONFIG)


def _run_and_report(
    anthropic: ModuleType,
    live: LiveSettings,
    api_key: str,
    scrub: Scrubber,
    quiet: bool,
    output_format: str,
    output_file: Path | None,
) -> int:
    """Run the check, echo the answer as it streams (text mode), then write the report."""
    show_text = not quiet and output_format == "text"
    stream_scrub = StreamScrubber(scrub)
    printed: list[str] = []

    def on_text(chunk: str) -> None:
        if show_text and (safe := stream_scrub.feed(chunk)):
            printed.append(safe)
            click.echo(safe, nl=False)

    with scrubbed_logging(scrub):
        try:
            report = run_live_check(anthropic, live, api_key, on_text)
        except ConfigProblem as problem:
            _fail_config(scrub(str(problem)))
    if show_text and (rest := stream_scrub.flush()):
        printed.append(rest)
        click.echo(rest, nl=False)
    if printed and not printed[-1].endswith("\n"):
        click.echo()
    if output_format == "json":
        rendered = render_json(report, scrub)
    else:
        rendered = render_quiet(report, scrub) if quiet else render_text(report, scrub)
    if output_file is None:
        click.echo(rendered, nl=False)
    else:
        try:
            output_file.write_text(rendered, encoding="utf-8")
        except OSError as error:
            _fail_config(scrub(f"--output-file: cannot write {output_file}: {error.strerror or error}"))
    return report.exit_code
