"""The bundled example project: every rule fires where the comments say, and nowhere else."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

from conftest import auditor

ROOT = Path(__file__).resolve().parent.parent

# (code, path, cell, line, column): the cell of a notebook's finding, its line inside that cell.
EXPECTED = [
    ("ANT401", "examples/prompt_lab.ipynb", 2, 5, 10),
    ("ANT101", "examples/prompt_lab.ipynb", 4, 3, 9),
    ("ANT401", "examples/support_bot/agent.py", None, 18, 23),
    ("ANT201", "examples/support_bot/agent.py", None, 32, 16),
    ("ANT202", "examples/support_bot/agent.py", None, 42, 16),
    ("ANT402", "examples/support_bot/clients.py", None, 14, 44),
    ("ANT403", "examples/support_bot/clients.py", None, 17, 18),
    ("ANT401", "examples/support_bot/reports.py", None, 14, 18),
    ("ANT102", "examples/support_bot/reports.py", None, 20, 15),
    ("ANT101", "examples/support_bot/reports.py", None, 30, 15),
    ("ANT301", "examples/support_bot/retries.py", None, 18, 5),
    ("ANT302", "examples/support_bot/retries.py", None, 30, 2),
    ("ANT303", "examples/support_bot/retries.py", None, 33, 36),
]


def test_examples_exact_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "examples/", "--output-format", "json"])
    assert result.exit_code == 1
    # JSON paths are relative to the project root: examples/, whose pyproject.toml configures auditor.
    found = [(f["code"], f"examples/{f['path']}", f["cell"], f["start"]["line"], f["start"]["column"]) for f in json.loads(result.stdout)]
    assert found == EXPECTED


def test_examples_cover_every_rule_but_parse_and_suppression_errors() -> None:
    from auditor.rule import all_rules

    assert {code for code, *_ in EXPECTED} == set(all_rules()) - {"ANT000", "ANT001"}


def test_each_finding_is_announced_by_a_comment_above_it() -> None:
    """The example's comments name the rule expected below them: code and comments agree."""
    for code, path, cell, line, _ in EXPECTED:
        if cell is None:
            lines = (ROOT / path).read_text().splitlines()
        else:
            lines = "".join(json.loads((ROOT / path).read_text())["cells"][cell - 1]["source"]).splitlines()
        above = "\n".join(lines[max(0, line - 6) : line])
        assert code in above, (code, path, line)


def test_the_full_report_of_the_examples() -> None:
    """What the README's quick start prints: each finding's diagnosis with its numbers, the code,
    and the advice on a `= help:` line under it, as ruff lays it out."""
    code, out, err = auditor(ROOT, "check", "examples/")
    assert (code, err) == (1, "")
    assert out == textwrap.dedent(
        """\
        examples/prompt_lab.ipynb:cell 2:5:10: ANT401 Anthropic() and the call on line 3 of cell 4 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s
        5 | client = anthropic.Anthropic()
          |          ^^^^^^^^^^^^^^^^^^^^^
          = help: Pass timeout= to the client above the SDK's estimate of 230.4 s for max_tokens=8,192, e.g. Anthropic(timeout=240.0), or stream the call

        examples/prompt_lab.ipynb:cell 4:3:9: ANT101 max_tokens=8,192 without streaming: a long answer can run past the timeout and be retried from scratch
        3 | draft = client.messages.create(
          |         ^^^^^^^^^^^^^^^^^^^^^^^
          = help: Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`

        examples/support_bot/agent.py:18:23: ANT401 Anthropic() and the call on line 22 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s
        18 |         self.client = anthropic.Anthropic()
           |                       ^^^^^^^^^^^^^^^^^^^^^
           = help: Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call

        examples/support_bot/agent.py:32:16: ANT201 `except anthropic.RateLimitError` can never run: the `except anthropic.APIError` on line 29 catches it first
        32 |         except anthropic.RateLimitError:
           |                ^^^^^^^^^^^^^^^^^^^^^^^^
           = help: Move the specific handler above the broad one

        examples/support_bot/agent.py:42:16: ANT202 `except anthropic.APIError` swallows SDK errors, so an outage or a rate limit looks like an empty answer
        42 |         except anthropic.APIError:
           |                ^^^^^^^^^^^^^^^^^^
           = help: Nothing is logged, re-raised or returned: log the error (log.exception(...)) and re-raise it or return an explicit fallback

        examples/support_bot/clients.py:14:44: ANT402 timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever
        14 | batch_client = anthropic.Anthropic(timeout=None)
           |                                            ^^^^
           = help: Set a finite timeout such as timeout=60.0, and stream long generations

        examples/support_bot/clients.py:17:18: ANT403 Anthropic() can wait 120 s x 6 attempts + 15.5 s of backoff = 735.5 s (max_retries=5), above max-total-wait = 300 s
        17 | patient_client = anthropic.Anthropic(timeout=120, max_retries=5)
           |                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
           = help: Lower the timeout or max_retries so the worst case fits the caller's budget

        examples/support_bot/reports.py:14:18: ANT401 Anthropic() and the call on line 20 set no timeout: each attempt can wait 600 s (the SDK default)
        14 | default_client = anthropic.Anthropic(max_retries=3)
           |                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
           = help: Stream the call on line 20 first (the SDK expects max_tokens=32,000 to take up to 900 s unstreamed), then pass timeout= to the client

        examples/support_bot/reports.py:20:15: ANT102 max_tokens=32,000 (constant MAX_REPORT_TOKENS on line 9) without streaming: above 21,333 at the default timeout, the SDK raises ValueError before sending
        20 |     message = default_client.messages.create(
           |               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
           = help: Stream it: `with default_client.messages.stream(...) as stream: message = stream.get_final_message()`

        examples/support_bot/reports.py:30:15: ANT101 max_tokens may be 8,192 (default of parameter max_tokens of summarize()) without streaming: a long answer can run past the timeout and be retried from scratch
        30 |     message = client.messages.create(
           |               ^^^^^^^^^^^^^^^^^^^^^^^
           = help: Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`

        examples/support_bot/retries.py:18:5: ANT301 This loop re-sends the SDK call on line 20: 5 attempts x 3 SDK attempts (max_retries=2) = up to 15 requests
        18 |     for attempt in range(5):
           |     ^^^^^^^^^^^^^^^^^^^^^^^^
           = help: Let the SDK retry instead: Anthropic(max_retries=N) or client.with_options(max_retries=N); keep your own logic for application decisions such as falling back to another model

        examples/support_bot/retries.py:30:2: ANT302 This retry decorator re-sends the SDK call on line 36: 4 attempts x 3 SDK attempts (max_retries=2) = up to 12 requests
        30 | @retry(
           |  ^^^^^^
           = help: Let the SDK retry instead: Anthropic(max_retries=N) or client.with_options(max_retries=N); keep your own logic for application decisions such as falling back to another model

        examples/support_bot/retries.py:33:36: ANT303 Retrying on anthropic.BadRequestError cannot help: it fails the same way on every attempt (the retry on line 30)
        33 |     retry=retry_if_exception_type((anthropic.BadRequestError, anthropic.APIConnectionError)),
           |                                    ^^^^^^^^^^^^^^^^^^^^^^^^^
           = help: Retry only transient errors (RateLimitError, APIConnectionError, InternalServerError), or let the SDK retry them

        Found 13 problems (4 errors, 9 warnings) in 5 files.
        [*] 2 fixable with --fix (5 more with --unsafe-fixes).
        """
    )


# The advice each rule gives, which belongs on the help line and never in the diagnosis.
ADVICE = (
    "Pass timeout=",
    "Stream it",
    "Stream the call",
    "Move the specific handler",
    "Move it into",
    "Let the SDK retry",
    "Retry only",
    "og the error",
    "Set a finite timeout",
    "Lower the timeout",
    "remove it",
    "remove the suppression",
    "Fix the file",
)


def test_diagnoses_are_short_and_the_advice_is_on_the_help_line() -> None:
    """ruff's messages run 65-175 characters; ours keep the numbers and leave the advice to help."""
    code, out, _ = auditor(ROOT, "check", "examples/", "--output-format", "json")
    assert code == 1
    found = json.loads(out)
    assert len(found) == len(EXPECTED)
    for finding in found:
        message, advice = finding["message"], finding["help"]
        assert len(message) <= 160, message
        assert not message.endswith("."), message
        assert [phrase for phrase in ADVICE if phrase in message] == [], message
        assert isinstance(advice, str) and any(phrase in advice for phrase in ADVICE), (finding["code"], advice)
    assert max(len(finding["message"]) for finding in found) == 158
