"""The result cache: hits on unchanged files, and invalidated by exactly what should invalidate it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import api, cache
from auditor.cli import main
from auditor.config import ConfigResolver

SDK = "import anthropic\nclient = anthropic.Anthropic(timeout=None)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(SDK)
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 100\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDITOR_CACHE_DIR", raising=False)
    return tmp_path


def run(project: Path, warnings: list[str] | None = None) -> api.Outcome:
    store = cache.ResultCache(project / ".auditor_cache", (warnings if warnings is not None else []).append)
    return api.run_check([Path(".")], ConfigResolver(None).for_path, api.CheckOptions(cache=store))


def test_unchanged_files_are_never_parsed_twice(project: Path) -> None:
    cold = run(project)
    warm = run(project)
    assert (cold.files_parsed, cold.cache_hits) == (3, 0)
    assert (warm.files_parsed, warm.cache_hits) == (0, 3)
    assert warm.findings == cold.findings
    assert [f.path for f in warm.findings] == ["a.py", "b.py", "c.py"]


def test_editing_a_file_invalidates_only_that_file(project: Path) -> None:
    run(project)
    (project / "b.py").write_text(SDK + "other = anthropic.Anthropic(timeout=None)\n")
    outcome = run(project)
    assert (outcome.files_parsed, outcome.cache_hits) == (1, 2)
    assert [(f.path, f.span.line) for f in outcome.findings] == [("a.py", 2), ("b.py", 2), ("b.py", 3), ("c.py", 2)]


def test_changing_the_configuration_invalidates_everything(project: Path) -> None:
    run(project)
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 50\n")
    assert (run(project).files_parsed, run(project).files_parsed) == (3, 0)


def test_upgrading_invalidates_everything(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(project)
    monkeypatch.setattr(cache, "tool_version", lambda: "99.0.0")
    assert run(project).files_parsed == 3
    assert run(project).files_parsed == 0


def test_corrupt_cache_is_ignored_with_a_warning(project: Path) -> None:
    run(project)
    (project / ".auditor_cache" / "results.json").write_text("{not json")
    warnings: list[str] = []
    outcome = run(project, warnings)
    assert outcome.files_parsed == 3 and len(outcome.findings) == 3
    assert len(warnings) == 1 and warnings[0].startswith("ignoring corrupt cache ")
    assert run(project).files_parsed == 0  # rewritten cleanly


def test_unwritable_cache_is_a_warning_not_a_failure(project: Path) -> None:
    (project / "blocker").write_text("a file where the cache directory should be")
    result = CliRunner().invoke(main, ["check", "--cache-dir", "blocker/cache", "-q"])
    assert result.exit_code == 1
    assert "auditor: warning: cannot write cache blocker/cache/results.json" in result.stderr
    assert result.stdout.count("ANT402") == 3


def test_cache_location_options_and_clean(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    runner.invoke(main, ["check", "--no-cache"])
    assert not (project / ".auditor_cache").exists()
    runner.invoke(main, ["check"])
    assert (project / ".auditor_cache" / "results.json").is_file()
    assert (project / ".auditor_cache" / ".gitignore").read_text().endswith("*\n")
    runner.invoke(main, ["check", "--cache-dir", "elsewhere"])
    assert (project / "elsewhere" / "results.json").is_file()
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(project / "from-env"))
    runner.invoke(main, ["check"])
    assert (project / "from-env" / "results.json").is_file()
    monkeypatch.delenv("AUDITOR_CACHE_DIR")
    result = runner.invoke(main, ["clean"])
    assert result.stdout == f"Removed {project / '.auditor_cache'}.\n"
    assert not (project / ".auditor_cache").exists()
    assert runner.invoke(main, ["clean"]).stdout.startswith("No cache at ")


def test_warm_run_output_is_identical(project: Path) -> None:
    runner = CliRunner()
    cold = runner.invoke(main, ["check"])
    warm = runner.invoke(main, ["check"])
    assert cold.stdout == warm.stdout and "^^^^" in warm.stdout


def test_parallel_workers_give_the_same_result(project: Path) -> None:
    for index in range(40):
        (project / f"m{index:02}.py").write_text(SDK)
    serial = api.run_check([Path(".")], ConfigResolver(None).for_path, api.CheckOptions(jobs=1))
    parallel = api.run_check([Path(".")], ConfigResolver(None).for_path, api.CheckOptions(jobs=2))
    assert parallel.findings == serial.findings and len(serial.findings) == 43


def test_a_pathological_file_is_stopped_and_reported(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from auditor import engine

    real = engine.analyse

    def slow(result, *args):  # type: ignore[no-untyped-def]
        if result.path == "b.py":
            time.sleep(5)
        return real(result, *args)

    monkeypatch.setattr(api, "analyse", slow)
    outcome = api.run_check([Path(".")], ConfigResolver(None).for_path, api.CheckOptions(file_time_limit=0.2))
    assert [(f.path, f.code, f.message) for f in outcome.findings if f.path == "b.py"] == [
        ("b.py", "ANT000", "analysis stopped after 0.2 s: the file was not checked")
    ]
    assert len(outcome.findings) == 3


def test_os_error_reading_cache(project: Path) -> None:
    run(project)
    path = project / ".auditor_cache" / "results.json"
    path.unlink()
    os.mkdir(path)  # a directory where the file should be: unreadable as a file
    warnings: list[str] = []
    assert run(project, warnings).files_parsed == 3
    assert warnings and warnings[0].startswith("ignoring unreadable cache")
