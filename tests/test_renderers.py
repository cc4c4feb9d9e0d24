"""Exact-output tests for the CI renderers: CI systems parse these formats, so every byte counts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import auditor
import auditor.rule
from auditor.findings import Edit, Finding, Fix, Severity, Span
from auditor.fingerprint import fingerprint
from auditor.renderers import RunResult, get_renderer
from auditor.renderers.github import escape_data, escape_property, render_github
from auditor.renderers.gitlab import render_gitlab, unique_fingerprints
from auditor.renderers.json_format import finding_to_dict, relative_path, render_json_lines
from auditor.renderers.junit import render_junit
from auditor.renderers.markdown import escape_cell, render_markdown
from auditor.renderers.sarif import render_sarif
from auditor.rule import Rule

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

ESCAPY = '100% of calls: a, b\nthen "x" | y & z<2'
HELP_TO_ESCAPE = "Back off: 100% | 2 ** n s"


class FakeError(Rule):
    """Flags a call that would fail.

    ## What it does
    Checks that the call
    has a timeout.

    ## Why is this bad?
    It hangs.
    """

    code = "ANT901"
    name = "fake-error"
    severity = Severity.ERROR
    summary = "A fake error rule"


class FakeWarning(Rule):
    """Flags a risky loop.

    Retries without backoff hammer the API.
    """

    code = "ANT902"
    name = "fake-warning"
    severity = Severity.WARNING
    summary = "A fake warning rule"
    fix_safety = "unsafe"


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SARIF tests must not depend on which real rules exist yet, nor on their docs."""
    rules: dict[str, type[Rule]] = {"ANT901": FakeError, "ANT902": FakeWarning}
    monkeypatch.setattr(auditor.rule, "all_rules", lambda: rules)
    yield


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Findings carry paths relative to the working directory; run from the project root, as CI does.
    monkeypatch.chdir(tmp_path)
    return tmp_path.resolve()


def make_findings(root: Path) -> list[Finding]:
    """An error with a fix and a help (absolute path), an error with a message that needs escaping
    and no help, and a multi-line warning whose help needs escaping (both under a subdirectory,
    relative to the root); given out of order."""
    fixed = Finding(
        code="ANT901",
        name="fake-error",
        severity=Severity.ERROR,
        message="call has no timeout",
        path=str(root / "app.py"),
        span=Span(3, 5, 3, 17),
        fix=Fix("Add `timeout=60`", (Edit(Span(3, 16, 3, 16), ", timeout=60"),), safe=True),
        context="client.messages.create(model)",
        help="Pass a timeout",
    )
    escapy = Finding(
        code="ANT901",
        name="fake-error",
        severity=Severity.ERROR,
        message=ESCAPY,
        path="pkg/sub/mod.py",
        span=Span(4, 9, 4, 20),
        context="client.messages.create()",
    )
    multi = Finding(
        code="ANT902",
        name="fake-warning",
        severity=Severity.WARNING,
        message="retry loop without backoff",
        path="pkg/sub/mod.py",
        span=Span(10, 1, 12, 2),
        context="while True:",
        help=HELP_TO_ESCAPE,
    )
    return [multi, escapy, fixed]


@pytest.fixture
def run(root: Path) -> RunResult:
    return RunResult(findings=make_findings(root), files_checked=5, root=root, baseline_hidden=2)


@pytest.fixture
def empty(root: Path) -> RunResult:
    return RunResult(findings=[], files_checked=0, root=root)


def fingerprints(run: RunResult) -> tuple[str, str, str]:
    """Fingerprints in report order (fixed, escapy, multi)."""
    multi, escapy, fixed = run.findings
    return fingerprint(fixed, run.root), fingerprint(escapy, run.root), fingerprint(multi, run.root)


# --- paths ---------------------------------------------------------------------------------


def test_relative_path(root: Path) -> None:
    assert relative_path(str(root / "pkg" / "m.py"), root) == "pkg/m.py"
    assert relative_path("./pkg//m.py", root) == "pkg/m.py"
    assert relative_path("pkg\\m.py", root) == "pkg/m.py"
    assert relative_path("/elsewhere/m.py", root) == "/elsewhere/m.py"
    assert relative_path("/elsewhere/m.py", None) == "/elsewhere/m.py"


def test_registry_names_resolve() -> None:
    for name in ("json-lines", "sarif", "github", "gitlab", "junit", "markdown"):
        assert callable(get_renderer(name))


# --- json-lines ----------------------------------------------------------------------------


def test_json_lines(run: RunResult) -> None:
    fp_fixed, fp_escapy, fp_multi = fingerprints(run)
    expected = (
        '{"code": "ANT901", "name": "fake-error", "severity": "error", '
        '"message": "call has no timeout", "path": "app.py", '
        '"start": {"line": 3, "column": 5}, "end": {"line": 3, "column": 17}, '
        '"fix": {"message": "Add `timeout=60`", "safe": true, "edits": '
        '[{"start": {"line": 3, "column": 16}, "end": {"line": 3, "column": 16}, '
        f'"content": ", timeout=60"}}]}}, "fingerprint": "{fp_fixed}", "cell": null, "help": "Pass a timeout"}}\n'
        '{"code": "ANT901", "name": "fake-error", "severity": "error", '
        '"message": "100% of calls: a, b\\nthen \\"x\\" | y & z<2", "path": "pkg/sub/mod.py", '
        '"start": {"line": 4, "column": 9}, "end": {"line": 4, "column": 20}, '
        f'"fix": null, "fingerprint": "{fp_escapy}", "cell": null, "help": null}}\n'
        '{"code": "ANT902", "name": "fake-warning", "severity": "warning", '
        '"message": "retry loop without backoff", "path": "pkg/sub/mod.py", '
        '"start": {"line": 10, "column": 1}, "end": {"line": 12, "column": 2}, '
        f'"fix": null, "fingerprint": "{fp_multi}", "cell": null, "help": "Back off: 100% | 2 ** n s"}}\n'
    )
    assert render_json_lines(run) == expected


def test_finding_to_dict_key_order_and_raw_path(run: RunResult) -> None:
    multi = run.findings[0]
    data = finding_to_dict(multi)
    assert list(data) == [
        "code", "name", "severity", "message", "path", "start", "end", "fix", "fingerprint", "cell", "help",
    ]  # fmt: skip
    assert data["path"] == "pkg/sub/mod.py"
    fixed = finding_to_dict(run.findings[2])
    assert fixed["path"] == str(run.root / "app.py")  # no root given: the finding's own path
    assert list(fixed["fix"]) == ["message", "safe", "edits"]
    assert list(fixed["fix"]["edits"][0]) == ["start", "end", "content"]


def test_json_lines_empty(empty: RunResult) -> None:
    assert render_json_lines(empty) == ""


# --- github --------------------------------------------------------------------------------


def test_github(run: RunResult) -> None:
    assert render_github(run) == (
        "::error file=app.py,line=3,col=5,endLine=3,endColumn=17,title=ANT901 fake-error"
        "::ANT901 call has no timeout%0Ahelp: Pass a timeout\n"
        "::error file=pkg/sub/mod.py,line=4,col=9,endLine=4,endColumn=20,title=ANT901 fake-error"
        '::ANT901 100%25 of calls: a, b%0Athen "x" | y & z<2\n'
        "::warning file=pkg/sub/mod.py,line=10,endLine=12,title=ANT902 fake-warning"
        "::ANT902 retry loop without backoff%0Ahelp: Back off: 100%25 | 2 ** n s\n"
    )


def test_github_escapes_properties(root: Path) -> None:
    finding = Finding(
        code="ANT901",
        name="fake-error",
        severity=Severity.WARNING,
        message="50%\r\ndone",
        path="odd, name:100%.py",
        span=Span(1, 1, 1, 2),
    )
    assert render_github(RunResult([finding], 1, root=root)) == (
        "::warning file=odd%2C name%3A100%25.py,line=1,col=1,endLine=1,endColumn=2,"
        "title=ANT901 fake-error::ANT901 50%25%0D%0Adone\n"
    )
    assert escape_property("a:b,c%\r\n") == "a%3Ab%2Cc%25%0D%0A"
    assert escape_data("a:b,c%\r\n") == "a:b,c%25%0D%0A"


def test_github_empty(empty: RunResult) -> None:
    assert render_github(empty) == ""


def test_code_host_formats_use_the_checkout_of_a_sub_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project configured in a sub-directory of the repository: its root is the sub-directory, but
    GitHub and GitLab place paths by the checkout, so those formats name files from there, while
    fingerprints (and JSON) stay relative to the project root."""
    project = tmp_path / "services" / "bot"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    finding = Finding("ANT901", "fake-error", Severity.ERROR, "m", "app.py", Span(3, 5, 3, 17), context="c")
    result = RunResult([finding], 1, root=project)
    assert render_github(result).startswith("::error file=app.py,line=3,")
    assert json.loads(render_gitlab(result))[0]["location"]["path"] == "app.py"

    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("CI_PROJECT_DIR", str(tmp_path))
    assert render_github(result).startswith("::error file=services/bot/app.py,line=3,")
    (issue,) = json.loads(render_gitlab(result))
    assert issue["location"]["path"] == "services/bot/app.py"
    assert issue["fingerprint"] == fingerprint(finding, project)
    (sarif_run,) = json.loads(render_sarif(result))["runs"]
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    (location,) = sarif_run["results"][0]["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "services/bot/app.py"
    assert sarif_run["results"][0]["partialFingerprints"] == {"auditor/v1": fingerprint(finding, project)}
    assert "### `services/bot/app.py`" in render_markdown(result)
    assert json.loads(render_json_lines(result))["path"] == "app.py"


# --- gitlab --------------------------------------------------------------------------------


def test_gitlab(run: RunResult) -> None:
    fp_fixed, fp_escapy, fp_multi = fingerprints(run)
    text = render_gitlab(run)
    assert text.endswith("]\n")
    assert json.loads(text) == [
        {
            "description": "ANT901 call has no timeout",
            "check_name": "ANT901",
            "fingerprint": fp_fixed,
            "severity": "major",
            "location": {
                "path": "app.py",
                "positions": {"begin": {"line": 3, "column": 5}, "end": {"line": 3, "column": 17}},
            },
            "content": {"body": "Pass a timeout"},
        },
        {
            "description": f"ANT901 {ESCAPY}",
            "check_name": "ANT901",
            "fingerprint": fp_escapy,
            "severity": "major",
            "location": {
                "path": "pkg/sub/mod.py",
                "positions": {"begin": {"line": 4, "column": 9}, "end": {"line": 4, "column": 20}},
            },
        },
        {
            "description": "ANT902 retry loop without backoff",
            "check_name": "ANT902",
            "fingerprint": fp_multi,
            "severity": "minor",
            "location": {
                "path": "pkg/sub/mod.py",
                "positions": {"begin": {"line": 10, "column": 1}, "end": {"line": 12, "column": 2}},
            },
            "content": {"body": HELP_TO_ESCAPE},
        },
    ]


def test_gitlab_fingerprints_unique_for_duplicates(root: Path) -> None:
    def at(line: int) -> Finding:
        return Finding(
            "ANT901", "fake-error", Severity.ERROR, "m", "a.py", Span(line, 1, line, 2), context="x()"
        )

    findings = [at(9), at(1), at(5)]
    issues = json.loads(render_gitlab(RunResult(findings, 1, root=root)))
    prints = [issue["fingerprint"] for issue in issues]
    assert [issue["location"]["positions"]["begin"]["line"] for issue in issues] == [1, 5, 9]
    assert len(set(prints)) == 3
    # The first keeps the shared, line-independent fingerprint; the repeats are derived from it.
    assert prints[0] == fingerprint(at(1))
    assert all(len(p) == 32 for p in prints)
    # Line-independent: moving every duplicate down keeps the same fingerprints.
    moved = json.loads(render_gitlab(RunResult([at(20), at(30), at(40)], 1, root=root)))
    assert [issue["fingerprint"] for issue in moved] == prints
    assert unique_fingerprints([]) == []


def test_gitlab_empty(empty: RunResult) -> None:
    assert render_gitlab(empty) == "[]\n"


# --- sarif ---------------------------------------------------------------------------------


def validate_sarif(text: str) -> dict[str, Any]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The schema's own $schema (draft-04) picks the validator.
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    document: dict[str, Any] = json.loads(text)
    validator_class(schema, format_checker=validator_class.FORMAT_CHECKER).validate(document)
    return document


def region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def location(uri: str, reg: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                "region": reg,
            }
        }
    ]


def sarif_log(root: Path, rules: list[Any], results: list[Any]) -> dict[str, Any]:
    return {
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "auditor",
                        "version": auditor.__version__,
                        "informationUri": "https://pypi.org/project/auditor/",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def test_sarif(run: RunResult, fake_registry: None) -> None:
    fp_fixed, fp_escapy, fp_multi = fingerprints(run)
    document = validate_sarif(render_sarif(run))
    error_docs = FakeError.documentation()
    warning_docs = FakeWarning.documentation()
    assert error_docs.startswith("Flags a call that would fail.\n\n## What it does\n")
    rules = [
        {
            "id": "ANT901",
            "name": "fake-error",
            "shortDescription": {"text": "A fake error rule"},
            "fullDescription": {"text": "Checks that the call has a timeout."},
            "help": {"text": error_docs, "markdown": error_docs},
            "defaultConfiguration": {"level": "error"},
            "properties": {"fix": "none"},
        },
        {
            "id": "ANT902",
            "name": "fake-warning",
            "shortDescription": {"text": "A fake warning rule"},
            # No "What it does" section: the first paragraph.
            "fullDescription": {"text": "Flags a risky loop."},
            "help": {"text": warning_docs, "markdown": warning_docs},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"fix": "unsafe"},
        },
    ]
    results = [
        {
            "ruleId": "ANT901",
            "ruleIndex": 0,
            "level": "error",
            # The diagnosis and the help, each a sentence.
            "message": {"text": "call has no timeout. Pass a timeout."},
            "locations": location("app.py", region(3, 5, 3, 17)),
            "partialFingerprints": {"auditor/v1": fp_fixed},
            "fixes": [
                {
                    "description": {"text": "Add `timeout=60`"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": "app.py", "uriBaseId": "%SRCROOT%"},
                            "replacements": [
                                {
                                    "deletedRegion": region(3, 16, 3, 16),
                                    "insertedContent": {"text": ", timeout=60"},
                                }
                            ],
                        }
                    ],
                    "properties": {"safe": True},
                }
            ],
        },
        {
            "ruleId": "ANT901",
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": ESCAPY + "."},
            "locations": location("pkg/sub/mod.py", region(4, 9, 4, 20)),
            "partialFingerprints": {"auditor/v1": fp_escapy},
        },
        {
            "ruleId": "ANT902",
            "ruleIndex": 1,
            "level": "warning",
            "message": {"text": "retry loop without backoff. Back off: 100% | 2 ** n s."},
            "locations": location("pkg/sub/mod.py", region(10, 1, 12, 2)),
            "partialFingerprints": {"auditor/v1": fp_multi},
        },
    ]
    assert document == sarif_log(run.root, rules, results)


def test_sarif_real_and_unknown_rules(root: Path) -> None:
    """A registered rule gets its real docs; a code the registry lacks still gets a descriptor."""
    parse = Finding("ANT000", "parse-error", Severity.ERROR, "bad", "my file.py", Span(1, 1, 1, 1))
    ghost = Finding("ANT999", "ghost", Severity.WARNING, "boo", "b.py", Span(2, 1, 2, 3))
    document = validate_sarif(render_sarif(RunResult([ghost, parse], 2, root=root)))
    run = document["runs"][0]
    parse_rule = auditor.rule.all_rules()["ANT000"]
    docs = parse_rule.documentation()
    rules = run["tool"]["driver"]["rules"]
    # The real rule's wording may change: only check where the full description comes from.
    full = rules[0].pop("fullDescription")["text"]
    assert full.startswith("Reports a file") and "\n" not in full
    assert rules == [
        {
            "id": "ANT000",
            "name": "parse-error",
            "shortDescription": {"text": parse_rule.summary},
            "help": {"text": docs, "markdown": docs},
            "defaultConfiguration": {"level": "error"},
            "properties": {"fix": "none"},
        },
        {"id": "ANT999", "name": "ghost", "defaultConfiguration": {"level": "warning"}},
    ]
    assert [(r["ruleId"], r["ruleIndex"]) for r in run["results"]] == [("ANT999", 1), ("ANT000", 0)]
    uri = run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20file.py"


def test_sarif_empty(empty: RunResult) -> None:
    document = validate_sarif(render_sarif(empty))
    assert document == sarif_log(empty.root, [], [])
    # The validation is not vacuous: a run without a tool driver is rejected.
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(json.dumps({"version": "2.1.0", "runs": [{"tool": {}}]}))


# --- junit ---------------------------------------------------------------------------------


def test_junit(run: RunResult) -> None:
    text = render_junit(run)
    assert text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="auditor" tests="3" failures="3" errors="0">\n'
        '  <testsuite name="auditor" tests="3" failures="3" errors="0" skipped="0">\n'
        '    <testcase classname="app.py" name="ANT901 fake-error (3:5)" file="app.py" line="3">\n'
        '      <failure message="call has no timeout" type="ANT901">'
        "app.py:3:5: ANT901 call has no timeout\nhelp: Pass a timeout</failure>\n"
        "    </testcase>\n"
        '    <testcase classname="pkg/sub/mod.py" name="ANT901 fake-error (4:9)" '
        'file="pkg/sub/mod.py" line="4">\n'
        '      <failure message="100% of calls: a, b&#10;then &quot;x&quot; | y &amp; z&lt;2" '
        'type="ANT901">pkg/sub/mod.py:4:9: ANT901 100% of calls: a, b\n'
        'then "x" | y &amp; z&lt;2</failure>\n'
        "    </testcase>\n"
        '    <testcase classname="pkg/sub/mod.py" name="ANT902 fake-warning (10:1)" '
        'file="pkg/sub/mod.py" line="10">\n'
        '      <failure message="retry loop without backoff" type="ANT902">'
        "pkg/sub/mod.py:10:1: ANT902 retry loop without backoff\nhelp: Back off: 100% | 2 ** n s</failure>\n"
        "    </testcase>\n"
        "  </testsuite>\n"
        "</testsuites>\n"
    )
    # What a reporter reads back.
    suites = ET.fromstring(text.encode("utf-8"))
    suite = suites.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == ["app.py", "pkg/sub/mod.py", "pkg/sub/mod.py"]
    failures = [c.find("failure") for c in cases]
    assert [f.get("type") for f in failures if f is not None] == ["ANT901", "ANT901", "ANT902"]
    assert failures[1] is not None and failures[1].get("message") == ESCAPY
    assert int(suite.get("tests", "")) == len(cases)


def test_junit_strips_characters_xml_cannot_hold(root: Path) -> None:
    finding = Finding("ANT901", "fake-error", Severity.ERROR, "nul\x00 here", "a.py", Span(1, 1, 1, 2))
    suites = ET.fromstring(render_junit(RunResult([finding], 1, root=root)).encode("utf-8"))
    failure = suites.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == "nul\ufffd here"


def test_junit_clean_run_is_green(root: Path) -> None:
    text = render_junit(RunResult([], files_checked=4, root=root))
    assert text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="auditor" tests="1" failures="0" errors="0">\n'
        '  <testsuite name="auditor" tests="1" failures="0" errors="0" skipped="0">\n'
        '    <testcase classname="auditor" name="No problems found" />\n'
        "  </testsuite>\n"
        "</testsuites>\n"
    )
    ET.fromstring(text.encode("utf-8"))


def test_junit_empty(empty: RunResult) -> None:
    text = render_junit(empty)
    assert text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="auditor" tests="0" failures="0" errors="0">\n'
        '  <testsuite name="auditor" tests="0" failures="0" errors="0" skipped="0" />\n'
        "</testsuites>\n"
    )
    ET.fromstring(text.encode("utf-8"))


# --- markdown ------------------------------------------------------------------------------


def test_markdown(run: RunResult) -> None:
    assert render_markdown(run) == (
        "## auditor\n"
        "\n"
        "Found 3 problems (2 errors, 1 warning) in 2 files.\n"
        "\n"
        "2 known problems were hidden by the baseline.\n"
        "\n"
        "| Code | Name | Severity | Count |\n"
        "| --- | --- | --- | ---: |\n"
        "| ANT901 | fake-error | error | 2 |\n"
        "| ANT902 | fake-warning | warning | 1 |\n"
        "\n"
        "### `app.py`\n"
        "\n"
        "| Location | Code | Message |\n"
        "| --- | --- | --- |\n"
        "| 3:5 | ANT901 | call has no timeout<br>help: Pass a timeout |\n"
        "\n"
        "### `pkg/sub/mod.py`\n"
        "\n"
        "| Location | Code | Message |\n"
        "| --- | --- | --- |\n"
        '| 4:9 | ANT901 | 100% of calls: a, b<br>then "x" \\| y & z<2 |\n'
        "| 10:1 | ANT902 | retry loop without backoff<br>help: Back off: 100% \\| 2 ** n s |\n"
    )


def test_markdown_singular_and_baseline(root: Path) -> None:
    finding = Finding("ANT902", "fake-warning", Severity.WARNING, "m", "a`b.py", Span(1, 1, 1, 2))
    text = render_markdown(RunResult([finding], 1, root=root, baseline_hidden=1))
    assert text.splitlines()[:5] == [
        "## auditor",
        "",
        "Found 1 problem (0 errors, 1 warning) in 1 file.",
        "",
        "1 known problem was hidden by the baseline.",
    ]
    assert "### ``a`b.py``" in text.splitlines()


def test_markdown_clean_with_baseline(root: Path) -> None:
    text = render_markdown(RunResult([], files_checked=5, root=root, baseline_hidden=3))
    assert text == (
        "## auditor\n\nNo problems found in 5 files.\n\n3 known problems were hidden by the baseline.\n"
    )


def test_markdown_empty(empty: RunResult) -> None:
    assert render_markdown(empty) == "## auditor\n\nNo problems found in 0 files.\n"


def test_escape_cell() -> None:
    assert escape_cell("a|b\r\nc\rd\ne") == "a\\|b<br>c<br>d<br>e"
