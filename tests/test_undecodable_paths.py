"""A file name that is not UTF-8 (b"\\xff.py", legal on Linux) renders in every output.

Text and JSON show the byte as `\\xff` (valid UTF-8 everywhere); SARIF URIs percent-encode the raw
byte (`%FF`). Run in real processes with a strict UTF-8 stdout (PYTHONIOENCODING=utf-8), where a
lone surrogate in the output would raise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_renderers import validate_sarif

SDK = "import anthropic\nclient = anthropic.Anthropic(timeout=None)\n"
AUDITOR = str(Path(sys.executable).with_name("auditor"))
MESSAGE = "timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever"
HELP = "Set a finite timeout such as timeout=60.0, and stream long generations"
BOTH = f"sub/\u00e9.py:2:5: ANT000 syntax error: '(' was never closed\nsub/\\xff.py:2:38: ANT402 {MESSAGE}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    try:
        descriptor = os.open(os.fsencode(tmp_path / "sub") + b"/\xff.py", os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:
        pytest.skip("this file system refuses a file name that is not UTF-8")
    os.write(descriptor, SDK.encode())
    os.close(descriptor)
    (tmp_path / "sub" / "\xe9.py").write_text("import anthropic\nx = (\n")  # é, a decodable name: ANT000
    return tmp_path


def auditor(cwd: Path, *args: str) -> tuple[int, str, str]:
    """stdout as strictly decoded UTF-8: undecodable output fails the test."""
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_CACHE_DIR", "AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS")}
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run([AUDITOR, *args], cwd=cwd, env=env, capture_output=True, timeout=60, check=False)
    stderr = done.stderr.decode("utf-8")
    assert "Traceback" not in stderr, stderr
    return done.returncode, done.stdout.decode("utf-8"), stderr


def report(project: Path, output_format: str) -> str:
    code, out, err = auditor(project, "check", "--no-cache", "-q", "--output-format", output_format, "sub/\udcff.py")
    assert (code, err) == (1, "")
    return out


def test_text_formats(project: Path) -> None:
    assert report(project, "concise") == f"sub/\\xff.py:2:38: ANT402 {MESSAGE}\n"
    assert report(project, "full").startswith(f"sub/\\xff.py:2:38: ANT402 {MESSAGE}\n2 | client = ")
    assert report(project, "github") == (
        "::error file=sub/\\xff.py,line=2,col=38,endLine=2,endColumn=42,title=ANT402 timeout-disabled"
        f"::ANT402 {MESSAGE}%0Ahelp: {HELP}\n"
    )
    assert "\n### `sub/\\xff.py`\n" in report(project, "markdown")
    junit = report(project, "junit")
    assert '<testcase classname="sub/\\xff.py" name="ANT402 timeout-disabled (2:38)" file="sub/\\xff.py" line="2">' in junit


def test_output_file(project: Path) -> None:
    code, _, err = auditor(project, "check", "--no-cache", "-q", "--output-format", "concise", "-o", "report.txt", "sub")
    assert (code, err) == (1, "")
    assert (project / "report.txt").read_text(encoding="utf-8") == BOTH


def test_json_formats(project: Path) -> None:
    [finding] = json.loads(report(project, "json"))
    assert (finding["path"], finding["start"], len(finding["fingerprint"])) == ("sub/\\xff.py", {"line": 2, "column": 38}, 32)
    [line] = report(project, "json-lines").splitlines()
    assert json.loads(line) == finding
    [issue] = json.loads(report(project, "gitlab"))
    assert issue["location"]["path"] == "sub/\\xff.py" and issue["fingerprint"] == finding["fingerprint"]


def test_sarif_uri_percent_encodes_the_raw_byte(project: Path) -> None:
    document = validate_sarif(report(project, "sarif"))
    [result] = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "sub/%FF.py", "uriBaseId": "%SRCROOT%"}


def test_write_baseline_and_read_it_back(project: Path) -> None:
    assert auditor(project, "check", "--write-baseline", "baseline.json", "sub") == (0, "Recorded 2 findings in baseline.json.\n", "")
    entries = json.loads((project / "baseline.json").read_text(encoding="utf-8"))["findings"]
    assert sorted(entry["path"] for entry in entries) == ["sub/\\xff.py", "sub/\u00e9.py"]
    assert auditor(project, "check", "--baseline", "baseline.json", "--report-stale-baseline", "sub") == (
        0,
        "All checks passed: no problems in 2 files. (2 hidden by the baseline)\n",
        "",
    )
    os.unlink(os.fsencode(project / "sub") + b"/\xff.py")
    code, _, err = auditor(project, "check", "--baseline", "baseline.json", "--report-stale-baseline", "sub")
    assert (code, err) == (0, "")  # the stale entry is not listed: its file was not checked


def test_stale_baseline_entry_of_an_undecodable_name(project: Path) -> None:
    assert auditor(project, "check", "--write-baseline", "baseline.json", "sub")[0] == 0
    (project / "sub" / "\udcff.py").write_text("import anthropic\n")
    assert auditor(project, "check", "--baseline", "baseline.json", "--report-stale-baseline", "sub") == (
        0,
        "All checks passed: no problems in 2 files. (1 hidden by the baseline)\n",
        "auditor: stale baseline entry: sub/\\xff.py: ANT402 (1 of 1 no longer found)\n",
    )


def test_inventory_outputs(project: Path) -> None:
    code, out, err = auditor(project, "inventory", "--no-cache", "sub")
    assert (code, err) == (0, "")
    assert "  sub/\\xff.py:2  " in out
    code, out, _ = auditor(project, "inventory", "--no-cache", "--output-format", "json", "sub")
    document = json.loads(out)
    assert [row["path"] for row in document["clients"]] == ["sub/\\xff.py"]
    assert [error["path"] for error in document["errors"]] == ["sub/\u00e9.py"]
    code, out, _ = auditor(project, "inventory", "--no-cache", "--output-format", "markdown", "sub")
    assert code == 0 and "`sub/\\xff.py:2`" in out


def test_cached_run_of_an_undecodable_name(project: Path) -> None:
    first = auditor(project, "check", "-q", "--output-format", "concise", "sub")
    assert first == (1, BOTH, "")
    assert auditor(project, "check", "-q", "--output-format", "concise", "sub") == first


def test_a_project_directory_whose_name_is_not_utf8(tmp_path: Path) -> None:
    """Absolute paths reach `config`, `clean` and error messages; before, these crashed."""
    try:
        os.mkdir(os.fsencode(tmp_path) + b"/\xffproj")
    except OSError:
        pytest.skip("this file system refuses a file name that is not UTF-8")
    project = tmp_path / "\udcffproj"
    (project / ".git").mkdir()
    (project / "app.py").write_text(SDK)
    shown = f"{tmp_path}/\\xffproj"
    code, out, _ = auditor(project, "config")
    assert code == 0 and out.startswith(f"# configuration file: none (defaults)\n# project root: {shown}\n")
    assert auditor(project, "check", "--cache-dir", ".") == (
        2,
        "",
        f"auditor: error: refusing cache directory .: it is the project root ({shown}); "
        "the cache needs a directory of its own, such as .auditor_cache\n",
    )
    assert auditor(project, "check", "-q")[0] == 1
    assert auditor(project, "clean") == (0, f"Removed {shown}/.auditor_cache.\n", "")
