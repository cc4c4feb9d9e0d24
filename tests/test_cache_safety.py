"""The cache directory and the cache file under hostile conditions.

`auditor clean` removes only the files auditor wrote; a directory that is not an auditor cache, or
that holds the project, is refused by `clean`, `check` and `inventory` alike; a cache file that is
unreadable, not UTF-8, nested too deeply or out of shape in any entry is dropped with one warning.
Everything here happens inside pytest's tmp_path: deletion is never aimed anywhere else.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import api, cache
from auditor.config import ConfigResolver

SDK = "import anthropic\nclient = anthropic.Anthropic(timeout=None)\n"
AUDITOR = str(Path(sys.executable).with_name("auditor"))
TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by auditor.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)
ANT402 = "timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever"
REFUSE_ROOT = "the cache needs a directory of its own, such as .auditor_cache"


def auditor(cwd: Path, *args: str, cache_env: str | None = None) -> tuple[int, str, str]:
    """The installed `auditor` command in a real process (bounded: a hang fails the test)."""
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_CACHE_DIR", "AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS")}
    if cache_env is not None:
        env["AUDITOR_CACHE_DIR"] = cache_env
    done = subprocess.run([AUDITOR, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under `directory` and its text: what must survive a refused command."""
    return {str(p.relative_to(directory)): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file() and ".git" not in p.parts}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp_path/outer/proj: a project (its own root, by .git) with a sentinel beside it in outer."""
    root = tmp_path / "outer" / "proj"
    (root / ".git").mkdir(parents=True)
    (root / "app.py").write_text(SDK)
    (root / "README.txt").write_text("the user's file")
    (tmp_path / "outer" / "keep.txt").write_text("the user's other file")
    return root


# --- auditor clean ---------------------------------------------------------------------------


def test_clean_refuses_a_directory_that_is_not_a_cache(project: Path) -> None:
    data = project.parent / "data"
    data.mkdir()
    (data / "results.json").write_text('{"mine": true}')
    (data / "photo.jpg").write_text("precious")
    before = snapshot(project.parent)
    code, out, err = auditor(project, "clean", cache_env=str(data))
    assert (code, out) == (2, "")
    assert err == f"auditor: error: refusing cache directory {data}: it is not an auditor cache (it holds files auditor did not create)\n"
    assert snapshot(project.parent) == before


@pytest.mark.parametrize("option", [".", ""])
def test_clean_refuses_the_project_root(project: Path, option: str) -> None:
    before = snapshot(project.parent)
    code, out, err = auditor(project, "clean", "--cache-dir", option)
    assert (code, out) == (2, "")
    assert err == f"auditor: error: refusing cache directory .: it is the project root ({project}); {REFUSE_ROOT}\n"
    assert snapshot(project.parent) == before


def test_clean_refuses_an_ancestor_of_the_project(project: Path) -> None:
    before = snapshot(project.parent)
    outer = project.parent
    for args, env, shown in (
        (("clean", "--cache-dir", ".."), None, ".."),
        (("clean",), str(outer), str(outer)),
        (("clean", "--cache-dir", str(outer.parent)), None, str(outer.parent)),
    ):
        code, out, err = auditor(project, *args, cache_env=env)
        assert (code, out) == (2, "")
        assert err == f"auditor: error: refusing cache directory {shown}: it contains the project root ({project}); {REFUSE_ROOT}\n"
    assert snapshot(project.parent) == before


def test_clean_removes_only_auditors_files(project: Path) -> None:
    assert auditor(project, "check", "-q")[0] == 1
    directory = project / ".auditor_cache"
    assert sorted(p.name for p in directory.iterdir()) == [".gitignore", "CACHEDIR.TAG", "results.json"]
    assert (directory / "CACHEDIR.TAG").read_text() == TAG
    (directory / ".results-abc123.tmp").write_text("left by a killed run")
    (directory / "notes.txt").write_text("the user's notes")
    code, out, err = auditor(project, "clean")
    assert (code, err) == (0, "")
    assert out == f"Removed the cache files from {directory}; kept the directory, which holds files auditor did not create.\n"
    assert [p.name for p in directory.iterdir()] == ["notes.txt"]
    assert (project / "README.txt").read_text() == "the user's file"


def test_clean_keeps_a_gitignore_the_user_changed(project: Path) -> None:
    auditor(project, "check", "-q")
    ignore = project / ".auditor_cache" / ".gitignore"
    ignore.write_text("# Created by auditor.\n*\n!keep-me\n")
    assert auditor(project, "clean")[0] == 0
    assert [p.name for p in ignore.parent.iterdir()] == [".gitignore"]


def test_clean_removes_a_whole_cache_and_then_finds_none(project: Path) -> None:
    auditor(project, "check", "-q")
    directory = project / ".auditor_cache"
    assert auditor(project, "clean") == (0, f"Removed {directory}.\n", "")
    assert not directory.exists()
    assert auditor(project, "clean") == (0, f"No cache at {directory}.\n", "")
    assert snapshot(project) == {"README.txt": "the user's file", "app.py": SDK}


def test_clean_recognises_a_cache_from_before_the_tag(project: Path) -> None:
    directory = project / ".auditor_cache"
    directory.mkdir()
    (directory / ".gitignore").write_text("# Created by auditor.\n*\n")
    (directory / "results.json").write_text('{"version":"0.1.0+abc","entries":{}}')
    assert auditor(project, "clean") == (0, f"Removed {directory}.\n", "")


def test_clean_leaves_an_empty_directory_it_did_not_make(project: Path) -> None:
    (project / "empty").mkdir()
    assert auditor(project, "clean", "--cache-dir", "empty") == (0, "No cache at empty.\n", "")
    assert (project / "empty").is_dir()


# --- check and inventory refuse the same directories -------------------------------------------


@pytest.mark.parametrize("command", ["check", "inventory"])
@pytest.mark.parametrize("option", [".", ""])
def test_the_project_root_is_never_a_cache(project: Path, command: str, option: str) -> None:
    before = snapshot(project)
    code, out, err = auditor(project, command, "--cache-dir", option)
    assert (code, out) == (2, "")
    assert err == f"auditor: error: refusing cache directory .: it is the project root ({project}); {REFUSE_ROOT}\n"
    assert snapshot(project) == before  # no .gitignore of `*` hiding the project
    code, out, _ = auditor(project, "check", "--output-format", "concise", "-q")
    assert code == 1 and out.startswith("app.py:2:38: ANT402 ")  # the project is still checked


def test_an_ancestor_or_a_checked_path_is_never_a_cache(project: Path) -> None:
    (project / "src").mkdir()
    (project / "src" / "mod.py").write_text(SDK)
    before = snapshot(project.parent)
    code, _, err = auditor(project, "check", cache_env=str(project.parent))
    assert (code, err) == (2, f"auditor: error: refusing cache directory {project.parent}: it contains the project root ({project}); {REFUSE_ROOT}\n")
    code, _, err = auditor(project, "check", "src", "--cache-dir", "src")
    assert (code, err) == (2, f"auditor: error: refusing cache directory src: it is the checked path src; {REFUSE_ROOT}\n")
    code, _, err = auditor(project / "src", "check", "mod.py", "--cache-dir", ".")
    assert (code, err) == (2, f"auditor: error: refusing cache directory .: it contains the checked path mod.py; {REFUSE_ROOT}\n")
    assert snapshot(project.parent) == before


def test_check_refuses_a_directory_of_other_files(project: Path) -> None:
    data = project.parent / "data"
    data.mkdir()
    (data / "results.json").write_text("the user's results")
    code, out, err = auditor(project, "check", cache_env=str(data))
    assert (code, out) == (2, "")
    assert err == f"auditor: error: refusing cache directory {data}: it is not an auditor cache (it holds files auditor did not create)\n"
    assert snapshot(data) == {"results.json": "the user's results"}


def test_a_new_or_empty_directory_becomes_a_tagged_cache(project: Path) -> None:
    (project.parent / "empty").mkdir()
    for directory in (project.parent / "empty", project.parent / "new" / "cache"):
        assert auditor(project, "check", "-q", "--cache-dir", str(directory))[0] == 1
        assert (directory / "CACHEDIR.TAG").read_text() == TAG
        assert (directory / ".gitignore").read_text() == "# Created by auditor.\n*\n"
        assert auditor(project, "check", "-q", "--cache-dir", str(directory))[0] == 1  # its own cache is fine


def test_a_symlink_loop_for_the_cache_directory(project: Path) -> None:
    """Before, resolving it raised RuntimeError in every command."""
    (project / "loop").symlink_to("loop")
    code, out, err = auditor(project, "check", "-q", "--output-format", "concise", "--cache-dir", "loop")
    assert (code, out) == (1, f"app.py:2:38: ANT402 {ANT402}\n")
    assert err == "auditor: warning: cannot write cache loop/results.json: File exists\n"
    assert auditor(project, "clean", "--cache-dir", "loop") == (0, "No cache at loop.\n", "")
    assert (project / "loop").is_symlink()


# --- the cache file ------------------------------------------------------------------------------


@pytest.fixture
def checked(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project after one cached run, as the working directory."""
    (project / "other.py").write_text("import anthropic\n\ndef f():\n    return anthropic.Anthropic()\n")
    monkeypatch.chdir(project)
    run(project)
    return project


def run(project: Path, warnings: list[str] | None = None) -> api.Outcome:
    store = cache.ResultCache(project / ".auditor_cache", (warnings if warnings is not None else []).append)
    return api.run_check([Path(".")], ConfigResolver(None).for_path, api.CheckOptions(cache=store))


def results(project: Path) -> Path:
    return project / ".auditor_cache" / "results.json"


def assert_dropped_once(project: Path, reason: str) -> None:
    """The cache is dropped with exactly one warning, the run reports the true findings, and the
    cache is rewritten cleanly (the next run warns nothing and parses nothing)."""
    expected = api.run_check([Path(".")], ConfigResolver(None).for_path, api.CheckOptions()).findings
    warnings: list[str] = []
    outcome = run(project, warnings)
    assert warnings == [f"ignoring corrupt cache {results(project)}: {reason}"]
    assert outcome.files_parsed == 2 and outcome.findings == expected
    warnings.clear()
    assert run(project, warnings).files_parsed == 0 and warnings == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"version": "\xff\xfe", "entries": {}}', "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"version": "x", "entries": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b"[1, 2, 3]", "not a cache file"),
        (b'{"entries": {}}', "not a cache file"),
        (b"{not json", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ],
    ids=["not-utf8", "nested", "nested-entries", "list", "no-version", "not-json"],
)
def test_an_unusable_cache_file_is_dropped_with_one_warning(checked: Path, content: bytes, reason: str) -> None:
    results(checked).write_bytes(content)
    assert_dropped_once(checked, reason)


def test_a_deeply_nested_cache_does_not_break_later_runs(project: Path) -> None:
    """End to end: before, every run crashed until `auditor clean`."""
    assert auditor(project, "check", "-q")[0] == 1
    results(project).write_text("[" * 100_000 + "]" * 100_000)
    cold = auditor(project, "check", "-q", "--no-cache")
    code, out, err = auditor(project, "check", "-q")
    assert (code, out) == (cold[0], cold[1])
    assert err == f"auditor: warning: ignoring corrupt cache {results(project)}: nested too deeply\n"
    assert auditor(project, "check", "-q") == cold


def test_a_fifo_for_the_cache_file_never_blocks(project: Path) -> None:
    assert auditor(project, "check", "-q")[0] == 1
    results(project).unlink()
    os.mkfifo(results(project))
    code, out, err = auditor(project, "check", "-q", "--output-format", "concise")
    assert (code, out) == (1, f"app.py:2:38: ANT402 {ANT402}\n")
    assert err == f"auditor: warning: ignoring unreadable cache {results(project)}: not a regular file (a FIFO)\n"
    assert results(project).is_file()  # replaced by a real cache, which the next run uses
    assert auditor(project, "check", "-q", "--output-format", "concise") == (1, out, "")


# A client row as `auditor inventory` caches it.
CLIENT: dict[str, Any] = {
    "path": "app.py",
    "line": 2,
    "column": 10,
    "function": None,
    "class": "Anthropic",
    "kind": "construction",
    "derived_from_lines": [1],
    "timeout": {"value": None, "source": "literal", "reason": None, "certain": True},
    "max_retries": {"value": 2, "source": "SDK default", "reason": None, "certain": True},
    "findings": ["ANT402"],
}


def mutate(path: Path, change: Any) -> None:
    """Apply `change` to the entry of app.py (the file with a finding) and save the cache."""
    document = json.loads(path.read_text())
    entry = next(value for name, value in document["entries"].items() if name.endswith("app.py"))
    change(entry, entry["findings"][0])
    path.write_text(json.dumps(document))


def _set(key: str, value: Any) -> Any:
    return lambda entry, finding: finding.__setitem__(key, copy.deepcopy(value))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_set("span", [0, 38, 2, 42]), "a finding of ANT402 has an invalid span"),
        (_set("span", [2, -1, 2, 42]), "a finding of ANT402 has an invalid span"),
        (_set("span", [2, 38, 1, 42]), "a finding of ANT402 has an invalid span"),
        (_set("span", [2, 38, 2, 2**40]), "a finding of ANT402 has an invalid span"),
        (_set("span", [2, 38, 2, 42.0]), "a finding of ANT402 has an invalid span"),
        (_set("span", [2, 38, 2, True]), "a finding of ANT402 has an invalid span"),
        (_set("span", [2, 38, 2]), "a finding of ANT402 has an invalid span"),
        (_set("span", "2:38"), "a finding of ANT402 has an invalid span"),
        (_set("code", "ANT999"), "a finding has an unknown rule code"),
        (_set("code", ["ANT402"]), "a finding has an unknown rule code"),
        (_set("name", "client-without-timeout"), "a finding of ANT402 has another rule's name or severity"),
        (_set("severity", "warning"), "a finding of ANT402 has another rule's name or severity"),
        (_set("severity", "fatal"), "a finding of ANT402 has another rule's name or severity"),
        (_set("message", ""), "a finding of ANT402 has no message or context text"),
        (_set("message", {"text": "x"}), "a finding of ANT402 has no message or context text"),
        (_set("context", None), "a finding of ANT402 has no message or context text"),
        (_set("help", ["Set a timeout"]), "a finding of ANT402 has a help that is not text"),
        (_set("help", None), "a finding of ANT402 has a help that is not text"),
        (_set("help", ""), "a finding of ANT402 has a help that is not text"),
        (_set("extra", 1), "a finding is not an object with the fields auditor writes"),
        (_set("fix", {"message": "m", "safe": True, "edits": []}), "a finding of ANT402 has a malformed fix"),
        (_set("fix", {"message": "m", "safe": "yes", "edits": [[2, 38, 2, 42, "60"]]}), "a finding of ANT402 has a malformed fix"),
        (_set("fix", {"message": "m", "safe": True, "edits": [[2, 38, 2, 42]]}), "a finding of ANT402 has a malformed fix"),
        (_set("fix", {"message": "m", "safe": True, "edits": [[2, 38, 1, 1, "60"]]}), "a finding of ANT402 has a malformed fix"),
        (_set("cell", [0, 1, 1, 1, 5, 3, 9, 3, 13]), "a finding of ANT402 has an invalid notebook cell"),
        (_set("cell", [2, 1, 1, 1, 5]), "a finding of ANT402 has an invalid notebook cell"),
        (lambda entry, finding: entry.__setitem__("findings", {"0": finding}), "an entry is not an object with a key and findings"),
        (lambda entry, finding: entry.__setitem__("key", 7), "an entry is not an object with a key and findings"),
        (lambda entry, finding: entry.__setitem__("findings", [finding, "x"]), "a finding is not an object with the fields auditor writes"),
        (lambda entry, finding: entry.__setitem__("more", True), "an entry has unknown fields"),
        (lambda entry, finding: entry.__setitem__("inventory", {"clients": [], "calls": [{}]}), "an inventory entry is out of shape"),
        (lambda entry, finding: entry.__setitem__("inventory", {"clients": [CLIENT | {"cell": "1"}], "calls": []}), "an inventory entry is out of shape"),
        (lambda entry, finding: entry.__setitem__("inventory", {"clients": [CLIENT | {"lines": 1}], "calls": []}), "an inventory entry is out of shape"),
        (lambda entry, finding: entry.__setitem__("inventory", {"clients": [{**CLIENT, "line": None}], "calls": []}), "an inventory entry is out of shape"),
    ],
    ids=[
        "span-line-0",
        "span-negative",
        "span-ends-before-start",
        "span-huge",
        "span-float",
        "span-bool",
        "span-three",
        "span-text",
        "unknown-code",
        "code-list",
        "other-name",
        "other-severity",
        "unknown-severity",
        "empty-message",
        "message-object",
        "context-null",
        "help-list",
        "help-null",
        "help-empty",
        "extra-field",
        "fix-no-edits",
        "fix-safe-text",
        "fix-edit-short",
        "fix-edit-backwards",
        "cell-zero",
        "cell-short",
        "findings-object",
        "key-number",
        "finding-text",
        "entry-extra-field",
        "inventory-row",
        "inventory-cell-text",
        "inventory-unknown-key",
        "inventory-line-null",
    ],
)
def test_a_cache_entry_out_of_shape_drops_the_whole_cache(checked: Path, change: Any, reason: str) -> None:
    """Before, these findings were replayed as they stood (or crashed the run)."""
    mutate(results(checked), change)
    assert_dropped_once(checked, reason)


def test_a_well_formed_fix_cell_help_and_inventory_are_accepted(checked: Path) -> None:
    def change(entry: dict[str, Any], finding: dict[str, Any]) -> None:
        finding["fix"] = {"message": "set a timeout", "safe": False, "edits": [[2, 38, 2, 42, "60.0"]]}
        finding["help"] = "Set a timeout"
        entry["inventory"] = {"clients": [CLIENT | {"cell": 2, "derived_from_cells": [1]}], "calls": []}

    mutate(results(checked), change)
    warnings: list[str] = []
    outcome = run(checked, warnings)
    assert warnings == [] and outcome.files_parsed == 0
    fix = outcome.findings[0].fix
    assert fix is not None and (fix.message, fix.safe, fix.edits[0].content) == ("set a timeout", False, "60.0")
    assert outcome.findings[0].help == "Set a timeout"


def test_a_finding_without_help_is_accepted(checked: Path) -> None:
    """The key is written only for a rule with advice (as `fix` and `cell`): a record without it
    is a finding with no help line."""
    mutate(results(checked), lambda entry, finding: finding.pop("help"))
    warnings: list[str] = []
    outcome = run(checked, warnings)
    assert warnings == [] and outcome.files_parsed == 0
    assert (outcome.findings[0].message, outcome.findings[0].help) == (ANT402, None)


def test_real_caches_of_every_kind_validate(tmp_path: Path) -> None:
    """The validator accepts what auditor itself writes: findings and inventories of the examples."""
    examples = Path(__file__).resolve().parent.parent / "examples"
    (tmp_path / ".git").mkdir()
    for command in ("check", "inventory"):
        first = auditor(tmp_path, command, str(examples), "--cache-dir", "c")
        second = auditor(tmp_path, command, str(examples), "--cache-dir", "c")
        assert "warning" not in first[2] + second[2]
        assert first == second
    document = json.loads((tmp_path / "c" / "results.json").read_text())
    assert sum(len(entry.get("findings", [])) for entry in document["entries"].values()) > 10
    assert sum("summary" in entry for entry in document["entries"].values()) == 1  # settings.py: what the others read
    assert sum(len(entry["inventory"]["calls"]) for entry in document["entries"].values() if "inventory" in entry) > 5
    # the example notebook: findings and rows placed in cells
    assert any("cell" in finding for entry in document["entries"].values() for finding in entry.get("findings", []))
    assert any("cell" in row for entry in document["entries"].values() for row in entry.get("inventory", {}).get("calls", []))
