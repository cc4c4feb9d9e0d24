"""`auditor inventory`: every client and call, settings in force and worst cases, from the SDK model."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from auditor.api import CheckOptions, check_files
from auditor.cli import main
from auditor.config import ConfigResolver
from conftest import auditor, on_a_terminal

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "auditor" / "data" / "inventory.schema.json").read_text())


def inventory(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["inventory", "--no-cache", *args])
    return result.exit_code, result.stdout


def calls_of(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(tmp_path)
    code, out = inventory("app.py", "--output-format", "json")
    assert code == 0
    report = json.loads(out)
    jsonschema.validate(report, SCHEMA, cls=jsonschema.Draft202012Validator)
    return report["calls"]


def test_examples_text_report_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not on a terminal and without COLUMNS, the text is 80 columns wide."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("COLUMNS", raising=False)
    code, out = inventory("examples/")
    assert code == 0
    assert out == (ROOT / "tests" / "data" / "examples_inventory.txt").read_text()


def test_examples_json_validates_and_agrees_with_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    report = json.loads(inventory("examples/", "--output-format", "json")[1])
    jsonschema.validate(report, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert (report["summary"]["clients"], report["summary"]["calls"]) == (10, 15)
    check = json.loads(CliRunner().invoke(main, ["check", "examples/", "--no-cache", "--output-format", "json"]).stdout)
    assert_agreement(report, check)


def assert_agreement(report: dict[str, Any], check: list[dict[str, Any]]) -> None:
    """Every finding of `auditor check` is in a row of the inventory, and no row claims a code
    that `check` does not report in that file."""
    rows = report["clients"] + report["calls"]
    for finding in check:
        holders = [r for r in rows if r["path"] == finding["path"] and finding["code"] in r["findings"]]
        assert holders, finding
    reported = {(f["path"], f["code"]) for f in check}
    for row in rows:
        for code in row["findings"]:
            assert (row["path"], code) in reported, (row["path"], row["line"], code)


def test_per_call_timeout_over_client_and_with_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = calls_of(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=60, max_retries=3)
        client.messages.create(model="m", max_tokens=1, messages=[], timeout=5)
        client.with_options(timeout=20).messages.create(model="m", max_tokens=1, messages=[])
        client.with_options(max_retries=0).messages.create(model="m", max_tokens=1, messages=[])
        """,
        tmp_path,
        monkeypatch,
    )
    assert [(c["timeout"]["value"], c["timeout"]["source"], c["max_retries"]["value"]) for c in calls] == [
        (5.0, "literal", 3),
        (20.0, "literal", 3),
        (60.0, "literal", 0),
    ]
    # 4 attempts x 5 s + backoff 0.5 + 1 + 2; 4 x 20 s + 3.5; 1 x 60 s, no backoff.
    assert [(c["requests"]["value"], c["wall_time"]["value"]) for c in calls] == [(4, 23.5), (4, 83.5), (1, 60.0)]


def test_constants_arithmetic_self_client_and_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = calls_of(
        """
        import anthropic
        TIMEOUT = 2 * 15
        RETRIES = 1 + 1

        def make():
            return anthropic.Anthropic(timeout=TIMEOUT, max_retries=RETRIES)

        class Bot:
            def __init__(self):
                self.client = make()

            def ask(self):
                return self.client.messages.create(model="claude-x", max_tokens=2 ** 10, messages=[])
        """,
        tmp_path,
        monkeypatch,
    )
    (call,) = calls
    assert call["function"] == "Bot.ask"
    assert call["clients"] == [{"line": 7, "class": "Anthropic"}] and call["clients_complete"]
    assert call["timeout"] == {"value": 30, "source": "constant TIMEOUT on line 3", "reason": None, "certain": True}
    assert call["max_retries"]["value"] == 2 and call["max_retries"]["source"] == "constant RETRIES on line 4"
    assert call["max_tokens"]["value"] == 1024
    assert call["model"]["value"] == "claude-x"
    assert (call["requests"]["value"], call["wall_time"]["value"]) == (3, 91.5)


def test_timeout_none_and_unresolved_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = calls_of(
        """
        import anthropic
        forever = anthropic.Anthropic(timeout=None)
        forever.messages.create(model="m", max_tokens=1, messages=[])

        def ask(client):
            return client.messages.create(model="m", max_tokens=1, messages=[])
        """,
        tmp_path,
        monkeypatch,
    )
    assert calls[0]["wall_time"] == {"value": None, "unbounded": True, "reason": "no timeout: a request can block forever"}
    assert calls[0]["findings"] == []  # ANT402 sits on the client's `timeout=None`: the client's row
    assert calls[1]["clients"] == [] and calls[1]["timeout"]["value"] is None and calls[1]["timeout"]["reason"]
    assert calls[1]["requests"] == {"value": None, "unbounded": False, "reason": "max_retries is not known"}


def test_worst_case_requests_through_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = calls_of(
        """
        import time
        import anthropic
        from tenacity import retry, stop_after_attempt

        default = anthropic.Anthropic(timeout=10)
        four = anthropic.Anthropic(timeout=10, max_retries=4)
        zero = anthropic.Anthropic(timeout=10, max_retries=0)

        def loop():
            for attempt in range(3):
                try:
                    return default.messages.create(model="m", max_tokens=1, messages=[])
                except anthropic.RateLimitError:
                    time.sleep(1)

        @retry(stop=stop_after_attempt(5))
        def decorated():
            return four.messages.create(model="m", max_tokens=1, messages=[])

        def forever():
            while True:
                try:
                    return default.messages.create(model="m", max_tokens=1, messages=[])
                except anthropic.APIError:
                    time.sleep(1)

        def single():
            for attempt in range(3):
                try:
                    return zero.messages.create(model="m", max_tokens=1, messages=[])
                except anthropic.APIConnectionError:
                    time.sleep(1)

        def streamed():
            with default.messages.stream(model="m", max_tokens=1, messages=[]) as stream:
                return stream.get_final_message()
        """,
        tmp_path,
        monkeypatch,
    )
    assert [c["requests"]["value"] for c in calls] == [9, 25, None, 3, 3]
    assert calls[2]["requests"]["unbounded"] and calls[2]["wall_time"]["unbounded"]
    assert [r["kind"] for c in calls for r in c["retries"]] == ["loop", "decorator", "loop", "loop"]
    assert calls[0]["wall_time"]["value"] == 3 * (3 * 10 + 1.5)
    assert calls[3]["wall_time"]["value"] == 30.0
    assert calls[4]["streamed"] is True and calls[4]["wall_time"] == {
        "value": None,
        "unbounded": False,
        "reason": "streamed: the timeout bounds each pause, not the whole answer",
    }
    assert [h["catches"] for h in calls[0]["handlers"]] == [["RateLimitError"]]
    assert calls[4]["handlers"] == []


def test_sort_markdown_exit_code_and_parse_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.py").write_text("import anthropic\nc = anthropic.Anthropic(timeout=5)\nc.messages.create(model='m', max_tokens=1, messages=[])\n")
    (tmp_path / "b.py").write_text("import anthropic\nc = anthropic.Anthropic(timeout=50)\nc.messages.create(model='m', max_tokens=1, messages=[])\n")
    (tmp_path / "broken.py").write_text("import anthropic\ndef f(:\n")
    monkeypatch.chdir(tmp_path)
    code, out = inventory("--output-format", "json", "--sort", "time")
    report = json.loads(out)
    assert code == 0
    assert [c["path"] for c in report["calls"]] == ["b.py", "a.py"]
    assert report["errors"] == [{"path": "broken.py", "line": 2, "message": "syntax error: invalid syntax"}]
    code, out = inventory("--output-format", "markdown")
    assert code == 0 and out.startswith("## auditor inventory\n") and "| `a.py:3` | `<module>` | `messages.create` |" in out
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\nbogus = 1\n")
    assert inventory()[0] == 2


def test_agreement_on_rule_fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule fixtures' hardest shapes: check and inventory tell the same story."""
    sources = sorted((ROOT / "tests" / "rules").glob("test_*.py"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    import ast

    count = 0
    for test_file in sources:
        for node in ast.walk(ast.parse(test_file.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "anthropic" in node.value and "\n" in node.value:
                text = textwrap.dedent(node.value)
                try:
                    compile(text, "x", "exec")
                except SyntaxError:
                    continue
                (corpus / f"case_{count:03}.py").write_text(text)
                count += 1
    assert count > 40
    monkeypatch.chdir(corpus)
    report = json.loads(inventory("--output-format", "json")[1])
    check = json.loads(CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "json"]).stdout)
    # ANT201 and ANT202 judge handlers that name SDK classes even around a call auditor cannot
    # resolve (a client passed in): only those around a call of the inventory have a row.
    def tied_to_a_call(finding: dict[str, Any]) -> bool:
        if finding["code"] not in ("ANT201", "ANT202"):
            return True
        line = finding["start"]["line"]
        return any(r["path"] == finding["path"] and any(h["line"] == line for h in r["handlers"]) for r in report["calls"])

    tied = [f for f in check if tied_to_a_call(f)]
    assert_agreement(report, tied)
    assert len(tied) > 50


def test_inventory_and_check_share_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.py").write_text("import anthropic\nc = anthropic.Anthropic()\nc.messages.create(model='m', max_tokens=1, messages=[])\n")
    monkeypatch.chdir(tmp_path)
    resolver = ConfigResolver(None)
    from auditor.cache import ResultCache

    def run(inventory: bool) -> list[Any]:
        store = ResultCache(tmp_path / ".auditor_cache", print)
        results = check_files([Path(".")], resolver.for_path, CheckOptions(cache=store, inventory=inventory))
        return [store.hits, *[r.inventory for r in results]]

    assert run(False)[0] == 0
    cold = run(True)
    assert cold[0] == 0 and cold[1]["clients"][0]["findings"] == ["ANT401"]  # a check entry has no inventory
    warm = run(True)
    assert warm == [1, cold[1]]


def test_readme_shows_a_real_run() -> None:
    """The README's inventory excerpt is copied from the exact output asserted above."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("From a real run on the bundled example")[1].split("```")[1]
    real = (ROOT / "tests" / "data" / "examples_inventory.txt").read_text().splitlines()
    shown = [line for line in block.splitlines() if line and line != "..."]
    assert len(shown) > 40 and all(line in real for line in shown)


def facts(report: dict[str, Any]) -> list[str]:
    """Every fact the text shows, as the renderer words it."""
    from auditor.inventory_render import show_client, show_fact, show_handlers, show_requests, show_retries, show_timeout, show_wall_time

    shown = [text for row in report["clients"] for text in (show_timeout(row["timeout"]), show_fact(row["max_retries"]))]
    for row in report["calls"]:
        shown += [show_client(row), show_fact(row["model"]), show_fact(row["max_tokens"]), show_timeout(row["timeout"])]
        shown += [show_fact(row["max_retries"]), show_retries(row), show_requests(row), show_wall_time(row), show_handlers(row)]
    return shown


@pytest.mark.parametrize("columns", [44, 60, 80, 100, 140])
def test_text_fits_the_width_and_never_cuts_a_fact(columns: int) -> None:
    """Run as a user runs it, with COLUMNS: no line is wider, every fact is shown whole (wrapped
    lines joined), and only locations may be shortened."""
    code, out, err = auditor(ROOT, "inventory", "examples/", "--no-cache", env={"COLUMNS": str(columns)})
    assert (code, err) == (0, "")
    assert max(len(line) for line in out.splitlines()) <= columns
    report = json.loads(auditor(ROOT, "inventory", "examples/", "--no-cache", "--output-format", "json")[1])
    flat = " ".join(out.split())
    assert [fact for fact in facts(report) if " ".join(fact.split()) not in flat] == []
    shortened = [line for line in out.splitlines() if "…" in line]
    assert all(re.search(r"…\S*\.(py|ipynb):(cell \d+:)?\d+( |$)", line) for line in shortened)  # a location's tail
    assert (shortened == []) == (columns >= 60)
    assert ("  LOCATION  " in out) == (columns >= 140)  # the clients' table only where it fits whole


def test_text_takes_the_terminals_width_and_defaults_to_80() -> None:
    expected = (ROOT / "tests" / "data" / "examples_inventory.txt").read_text()
    assert auditor(ROOT, "inventory", "examples/", "--no-cache") == (0, expected, "")
    wide = on_a_terminal(ROOT, "inventory", "examples/", "--no-cache", columns=140)
    assert wide.splitlines()[1].startswith("  LOCATION  ") and max(len(line) for line in wide.splitlines()) <= 140
    assert on_a_terminal(ROOT, "inventory", "examples/", "--no-cache", columns=80) == expected
