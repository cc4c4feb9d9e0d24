"""Autofix: each fix's exact output, idempotence, every refusal, what a write keeps, the flags.

End-to-end tests run the installed `auditor` command on copies of tests/fixtures/fix/*/before.py
in a tmp_path; the machinery's refusals are driven through its own functions.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import hermetic_git

from auditor.config import Settings
from auditor.findings import Edit, Fix
from auditor.fix.apply import fix_source
from auditor.fix.files import NotWritten, read_source, write_source
from auditor.fix.run import checker, fix_file

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
AUDITOR = str(Path(sys.executable).parent / "auditor")

TIMEOUT_NONE = 'import anthropic\n\nclient = anthropic.Anthropic(timeout=None)\n'
SHADOWED = textwrap.dedent(
    """\
    import anthropic

    client = anthropic.Anthropic(timeout=None)
    try:
        client.messages.create(model="m", max_tokens=100, messages=[])
    except anthropic.APIError:
        raise
    except anthropic.RateLimitError as error:
        print(error)
    """
)


def auditor(cwd: Path, *args: str, cache: bool = False) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS", "AUDITOR_CACHE_DIR")}
    flags = [] if cache or args[0] != "check" else ["--no-cache"]
    done = subprocess.run([AUDITOR, *args, *flags], capture_output=True, text=True, cwd=cwd, env=env)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("fixture", "select", "summary"),
    [
        ("ant201", "ANT201", "Found 6 problems (5 fixed, 1 remaining: 1 error, 0 warnings) in 1 file."),
        ("ant303", "ANT303", "Found 9 problems (5 fixed, 4 remaining: 4 errors, 0 warnings) in 1 file."),
        ("ant401", "ANT401", "Found 4 problems (4 fixed, 0 remaining)."),
        ("ant402", "ANT402", "Found 9 problems (6 fixed, 3 remaining: 3 errors, 0 warnings) in 1 file."),
        ("ant10x", "ANT101,ANT102", "Found 11 problems (4 fixed, 7 remaining: 0 errors, 7 warnings) in 1 file."),
    ],
)
def test_fix_output_and_idempotence(tmp_path: Path, fixture: str, select: str, summary: str) -> None:
    target = tmp_path / "mod.py"
    shutil.copy(FIXTURES / fixture / "before.py", target)
    code, out, err = auditor(tmp_path, "check", "--fix", "--unsafe-fixes", "--select", select, "--output-format", "concise", "mod.py")
    expected = (FIXTURES / fixture / "after.py").read_text()
    assert (target.read_text(), err) == (expected, "")
    assert out.splitlines()[-1] == summary
    assert code == (0 if "0 remaining)" in summary else 1)
    # The same command again finds nothing more to fix and leaves the bytes alone.
    before = target.read_bytes()
    code, out, _ = auditor(tmp_path, "check", "--fix", "--unsafe-fixes", "--select", select, "--output-format", "concise", "mod.py")
    assert target.read_bytes() == before
    last = out.splitlines()[-1]
    assert last.startswith("All checks passed") if "0 remaining)" in summary else "(0 fixed, " in last


def test_safe_fixes_only_without_unsafe_fixes(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHADOWED)
    code, out, _ = auditor(tmp_path, "check", "--fix", "--output-format", "concise")
    assert code == 1
    assert out == (
        "app.py:3:38: ANT402 timeout None on Anthropic(): this disables the timeout, so a stalled request "
        "waits forever\n"
        "Found 2 problems (1 fixed, 1 remaining: 1 error, 0 warnings) in 1 file. 1 more fixable with --unsafe-fixes.\n"
    )
    assert (tmp_path / "app.py").read_text() == SHADOWED.replace(
        "except anthropic.APIError:\n    raise\nexcept anthropic.RateLimitError as error:\n    print(error)\n",
        "except anthropic.RateLimitError as error:\n    print(error)\nexcept anthropic.APIError:\n    raise\n",
    )


def test_summary_without_fix_tells_what_fix_would_do(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHADOWED)
    code, out, _ = auditor(tmp_path, "check", "--output-format", "concise")
    assert code == 1
    assert out.splitlines()[-2:] == [
        "Found 2 problems (2 errors, 0 warnings) in 1 file.",
        "[*] 1 fixable with --fix (1 more with --unsafe-fixes).",
    ]
    (tmp_path / "app.py").write_text(TIMEOUT_NONE)  # only an unsafe fix: no hint line, as before
    assert auditor(tmp_path, "check", "--output-format", "concise")[1].splitlines()[-1] == (
        "Found 1 problem (1 error, 0 warnings) in 1 file."
    )


def test_fixes_come_through_the_cache(tmp_path: Path) -> None:
    """A warm cache holds the findings with their fixes: --fix after a plain check still fixes."""
    (tmp_path / "app.py").write_text(SHADOWED)
    assert auditor(tmp_path, "check", "-q", cache=True)[0] == 1
    code, out, _ = auditor(tmp_path, "check", "--fix-only", "--unsafe-fixes", cache=True)
    assert (code, out) == (0, "Fixed 2 problems.\n")
    assert auditor(tmp_path, "check", cache=True) == (0, "All checks passed: no problems in 1 file.\n", "")


def test_config_shows_the_fix_keys(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text("fix-timeout = 90\nunfixable = [\"ANT303\"]\n")
    code, out, _ = auditor(tmp_path, "config")
    assert code == 0
    assert [line for line in out.splitlines() if line.split(" = ")[0] in ("fix", "unsafe-fixes", "fix-timeout", "fixable", "unfixable")] == [
        "fix = false  # default",
        "unsafe-fixes = false  # default",
        "fix-timeout = 90  # auditor.toml",
        'fixable = ["ALL"]  # default',
        'unfixable = ["ANT303"]  # auditor.toml',
    ]


def test_diff_prints_and_never_writes(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text(SHADOWED)
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    code, out, err = auditor(tmp_path, "check", "--diff")
    assert (code, err) == (1, "Would fix 1 problem. 1 more fixable with --unsafe-fixes.\n")
    assert out == textwrap.dedent(
        """\
        --- app.py
        +++ app.py
        @@ -3,7 +3,7 @@
         client = anthropic.Anthropic(timeout=None)
         try:
             client.messages.create(model="m", max_tokens=100, messages=[])
        +except anthropic.RateLimitError as error:
        +    print(error)
         except anthropic.APIError:
             raise
        -except anthropic.RateLimitError as error:
        -    print(error)
        """
    )
    code, out, err = auditor(tmp_path, "check", "--diff", "--unsafe-fixes")
    assert (code, err) == (1, "Would fix 2 problems.\n")
    assert "-client = anthropic.Anthropic(timeout=None)\n+client = anthropic.Anthropic(timeout=600.0)\n" in out
    assert target.read_text() == SHADOWED
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]
    target.write_text("import anthropic\n\nclient = anthropic.Anthropic(timeout=5)\n")
    assert auditor(tmp_path, "check", "--diff") == (0, "", "Would fix 0 problems.\n")


def test_diff_of_a_file_without_a_final_newline(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(TIMEOUT_NONE.rstrip("\n"))
    code, out, _ = auditor(tmp_path, "check", "--diff", "--unsafe-fixes")
    assert code == 1
    assert out.endswith(
        "-client = anthropic.Anthropic(timeout=None)\n\\ No newline at end of file\n"
        "+client = anthropic.Anthropic(timeout=600.0)\n\\ No newline at end of file\n"
    )


def test_fix_only(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHADOWED)
    assert auditor(tmp_path, "check", "--fix-only") == (0, "Fixed 1 problem. 1 more fixable with --unsafe-fixes.\n", "")
    assert auditor(tmp_path, "check", "--fix-only", "--unsafe-fixes") == (0, "Fixed 1 problem.\n", "")
    assert "timeout=600.0" in (tmp_path / "app.py").read_text()
    assert auditor(tmp_path, "check", "--fix-only", "-q") == (0, "", "")


def test_configuration_keys(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHADOWED)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.auditor]\nfix = true\nunsafe-fixes = true\nfix-timeout = 45\nunfixable = [\"ANT2\"]\n"
    )
    code, out, _ = auditor(tmp_path, "check", "--output-format", "json")
    assert code == 1
    assert "client = anthropic.Anthropic(timeout=45.0)" in (tmp_path / "app.py").read_text()
    assert '"code": "ANT201"' in out and '"fix": null' in out  # unfixable: no fix offered either
    assert auditor(tmp_path, "check", "--no-fix", "--diff")[0] == 0  # --diff: nothing left to fix


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fix-timeout = 0", "fix-timeout: expected a finite number of seconds above zero, got 0"),
        ("fix-timeout = nan", "fix-timeout: expected a finite number of seconds above zero, got nan"),
        ('fix = "yes"', "fix: expected true or false, got 'yes'"),
        ('unfixable = ["ANT999"]', "unfixable: unknown rule code or name 'ANT999'"),
        ('fixable = "ANT2"', "fixable: expected a list of strings, got 'ANT2'"),
    ],
)
def test_bad_fix_configuration_is_exit_2(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "app.py").write_text(SHADOWED)
    (tmp_path / "auditor.toml").write_text(text + "\n")
    assert auditor(tmp_path, "check", "--fix") == (2, "", f"auditor: error: auditor.toml: {message}\n")
    assert (tmp_path / "app.py").read_text() == SHADOWED


def test_write_baseline_and_fix_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHADOWED)
    assert auditor(tmp_path, "check", "--fix", "--write-baseline", "b.json") == (
        2,
        "",
        "auditor: error: --write-baseline records every finding: it cannot be combined with --fix, --fix-only or --diff\n",
    )


def test_baseline_hides_findings_from_the_fixes_too(tmp_path: Path) -> None:
    (tmp_path / "old.py").write_text(TIMEOUT_NONE)
    assert auditor(tmp_path, "check", "--write-baseline", "baseline.json")[0] == 0
    (tmp_path / "new.py").write_text(TIMEOUT_NONE)
    code, out, _ = auditor(tmp_path, "check", "--baseline", "baseline.json", "--fix", "--unsafe-fixes")
    assert (code, out) == (0, "Found 1 problem (1 fixed, 0 remaining). (1 hidden by the baseline)\n")
    assert (tmp_path / "old.py").read_text() == TIMEOUT_NONE
    assert "timeout=600.0" in (tmp_path / "new.py").read_text()


def test_diff_base_fixes_only_changed_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hermetic_git(tmp_path, monkeypatch)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(TIMEOUT_NONE)
    for command in (["init", "-q"], ["add", "app.py"], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)
    (root / "app.py").write_text(TIMEOUT_NONE + "other = anthropic.Anthropic(timeout=None)\n")
    code, out, _ = auditor(root, "check", "--fix", "--unsafe-fixes", "--diff-base", "HEAD")
    assert (code, out) == (0, "Found 1 problem (1 fixed, 0 remaining).\n")
    assert (root / "app.py").read_text() == TIMEOUT_NONE + "other = anthropic.Anthropic(timeout=600.0)\n"


def test_notebooks_are_not_fixed_yet(tmp_path: Path) -> None:
    """A notebook's findings keep their fixes (inside the cell) for JSON and the editor, but
    --fix leaves the .ipynb alone and does not count them as fixable."""
    import json

    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": TIMEOUT_NONE.splitlines(True)}
    notebook = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"
    (tmp_path / "demo.ipynb").write_text(notebook)
    code, out, _ = auditor(tmp_path, "check", "--fix", "--unsafe-fixes", "--output-format", "concise")
    assert code == 1
    assert out.splitlines()[-1] == "Found 1 problem (0 fixed, 1 remaining: 1 error, 0 warnings) in 1 file."
    assert (tmp_path / "demo.ipynb").read_text() == notebook
    code, out, _ = auditor(tmp_path, "check", "--output-format", "json")
    assert json.loads(out)[0]["fix"]["edits"][0]["content"] == "600.0"


def test_crlf_bom_and_permissions_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_bytes(b"\xef\xbb\xbf" + SHADOWED.replace("\n", "\r\n").encode())
    target.chmod(0o640)
    code, _, _ = auditor(tmp_path, "check", "--fix", "--unsafe-fixes")
    data = target.read_bytes()
    assert code == 0
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == data.count(b"\n") == SHADOWED.count("\n")
    assert data.decode("utf-8-sig").replace("\r\n", "\n") == SHADOWED.replace("timeout=None", "timeout=600.0").replace(
        "except anthropic.APIError:\n    raise\nexcept anthropic.RateLimitError as error:\n    print(error)\n",
        "except anthropic.RateLimitError as error:\n    print(error)\nexcept anthropic.APIError:\n    raise\n",
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]


def test_coding_cookie_is_kept(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\n# Café\n" + TIMEOUT_NONE
    (tmp_path / "app.py").write_bytes(text.encode("latin-1"))
    assert auditor(tmp_path, "check", "--fix", "--unsafe-fixes")[0] == 0
    assert (tmp_path / "app.py").read_bytes() == text.replace("None", "600.0").encode("latin-1")


def test_a_symlink_stays_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text(TIMEOUT_NONE)
    (tmp_path / "link.py").symlink_to("real.py")
    assert auditor(tmp_path, "check", "--fix", "--unsafe-fixes", "link.py")[0] == 0
    assert (tmp_path / "link.py").is_symlink()
    assert "timeout=600.0" in (tmp_path / "real.py").read_text()


# -- refusals, through the machinery itself ---------------------------------------------------


def _check(path: str = "app.py") -> object:
    return checker(path, Settings())


def _with_fix(findings: list, content: str) -> list:  # type: ignore[type-arg]
    """The findings, the first one's fix replaced by one that writes `content` over its span."""
    first = findings[0]
    broken = Fix("broken on purpose", (Edit(first.span, content),), safe=True)
    return [dataclasses.replace(first, fix=broken), *findings[1:]]


def test_refused_when_the_fix_would_not_compile() -> None:
    check = _check()
    findings = check(TIMEOUT_NONE)  # type: ignore[operator]
    result = fix_source(TIMEOUT_NONE, check, lambda found, _: found, _with_fix(findings, "None)"))  # type: ignore[arg-type]
    assert (result.text, sum(result.fixed.values())) == (TIMEOUT_NONE, 0)
    assert result.error == "the fixes (ANT402 at line 3) would not compile; the file was left unchanged"


def test_refused_when_the_fix_would_not_parse_where_the_file_never_compiled() -> None:
    source = "return 1\n" + TIMEOUT_NONE  # libcst parses it, CPython will not compile it
    check = _check()
    findings = check(source)  # type: ignore[operator]
    result = fix_source(source, check, lambda found, _: found, _with_fix(findings, "None)"))  # type: ignore[arg-type]
    assert result.error == "the fixes (ANT402 at line 4) would not parse; the file was left unchanged"
    assert result.text == source


def test_refused_when_the_finding_is_still_reported() -> None:
    check = _check()
    findings = check(TIMEOUT_NONE)  # type: ignore[operator]
    result = fix_source(TIMEOUT_NONE, check, lambda found, _: found, _with_fix(findings, "(None)"))  # type: ignore[arg-type]
    assert result.error == "after the fixes (ANT402 at line 3) ANT402 still reports what was fixed; the file was left unchanged"
    assert result.text == TIMEOUT_NONE


def test_a_refused_file_is_not_written(tmp_path: Path) -> None:
    """A fix that misfires on a real file: the reason is kept, the bytes stay as they were."""
    target = tmp_path / "app.py"
    target.write_text(TIMEOUT_NONE)
    check = checker(str(target), Settings())
    broken = _with_fix(check(TIMEOUT_NONE), "(None)")
    fixed = fix_file(str(target), Settings(), lambda found, _: [broken[0]] if found and found[0].code == "ANT402" else [], write=True)
    assert fixed is not None and not fixed.written
    assert fixed.result.error == "after the fixes (ANT402 at line 3) ANT402 still reports what was fixed; the file was left unchanged"
    assert target.read_text() == TIMEOUT_NONE


def test_a_file_changed_on_disk_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text(TIMEOUT_NONE)
    edited = TIMEOUT_NONE + "# saved by an editor meanwhile\n"

    def editor_saves(path: Path) -> None:
        path.write_text(edited)

    fixed = fix_file(str(target), Settings(unsafe_fixes=True), lambda found, _: found, write=True, before_replace=editor_saves)
    assert fixed is not None
    assert (fixed.written, fixed.warning) == (False, f"{target} was not fixed: it changed on disk while it was being fixed")
    assert [f.code for f in fixed.result.findings] == ["ANT402"]  # reported as it was, unfixed
    assert target.read_text() == edited
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]  # no temporary file left


def test_write_source_refuses_text_the_encoding_cannot_hold(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_bytes(b"# -*- coding: ascii -*-\nx = 1\n")
    source = read_source(target)
    with pytest.raises(NotWritten, match="the fixed text cannot be written as ascii"):
        write_source(source, "# -*- coding: ascii -*-\nx = 'é'\n")
    assert target.read_bytes() == b"# -*- coding: ascii -*-\nx = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]


def test_a_fix_that_overlaps_another_waits_for_the_next_round() -> None:
    """Two shadowed handlers of one `try`: each fix moves lines the other moves too, so they
    go one per round, the second computed on the first's result."""
    source = textwrap.dedent(
        """\
        import anthropic
        try:
            anthropic.Anthropic(timeout=5).messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.APIError:
            raise
        except anthropic.APIStatusError:
            pass
        except anthropic.RateLimitError:
            pass
        """
    )
    result = fix_source(source, checker("app.py", Settings(select=("ANT201",))), lambda found, _: found)
    assert (result.error, dict(result.fixed), result.findings) == (None, {"ANT201": 2}, [])
    assert result.text.splitlines()[3:] == [
        "except anthropic.RateLimitError:",
        "    pass",
        "except anthropic.APIStatusError:",
        "    pass",
        "except anthropic.APIError:",
        "    raise",
    ]


def test_stream_name_avoids_names_in_use() -> None:
    source = textwrap.dedent(
        """\
        import anthropic
        client = anthropic.Anthropic(timeout=5)
        def ask(stream):
            message = client.messages.create(model="m", max_tokens=9000, messages=[])
            return message, stream
        """
    )
    result = fix_source(source, _check(), lambda found, _: found)  # type: ignore[arg-type]
    assert result.text.splitlines()[3:5] == [
        '    with client.messages.stream(model="m", max_tokens=9000, messages=[]) as message_stream:',
        "        message = message_stream.get_final_message()",
    ]


def test_last_handler_at_end_of_file_without_newline() -> None:
    source = SHADOWED.rstrip("\n")
    result = fix_source(source, _check(), lambda found, _: [f for f in found if f.code == "ANT201"])  # type: ignore[arg-type]
    assert result.text.endswith("except anthropic.RateLimitError as error:\n    print(error)\nexcept anthropic.APIError:\n    raise")
