"""The prefilter only saves time: with and without it, every finding is the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

ROOT = Path(__file__).resolve().parent.parent


def report(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "json", *args])
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    anthropic = pytest.importorskip("anthropic")
    shutil.copytree(Path(anthropic.__file__).parent / "lib", tmp_path / "sdk_lib")
    extra = {
        "no_sdk.py": "import os\nprint(os.getcwd())\n",
        "broken_no_sdk.py": "def f(:\n",
        "broken_sdk.py": "import anthropic\ndef f(:\n",
        "latin.py": b"s = '\xe9'\n",
        "binary.py": b"\x00\x01\x02",
        "declared.py": "from myapp.llm import make\nc = make()\nc.messages.create(model='m', max_tokens=9000, messages=[])\n",
        "string_only.py": "TEXT = 'we use anthropic'\n",
    }
    for name, content in extra.items():
        path = tmp_path / "extra" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "pyproject.toml").write_text("[tool.auditor.sdk]\nclient-factories = ['myapp.llm.make']\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_same_findings_with_and_without_prefilter(corpus: Path) -> None:
    with_prefilter = report(".")
    assert with_prefilter == report(".", "--no-prefilter")
    codes = [line.split('"')[3] for line in with_prefilter.splitlines() if '"code"' in line]
    assert {"ANT000", "ANT101", "ANT401"} <= set(codes)  # the corpus really exercises the rules


def test_prefilter_skips_parsing(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor import api
    from auditor.config import ConfigResolver

    resolver = ConfigResolver(None)
    outcome = api.run_check([Path("extra")], resolver.for_path, api.CheckOptions())
    full = api.run_check([Path("extra")], resolver.for_path, api.CheckOptions(use_prefilter=False))
    assert (outcome.files_checked, outcome.files_parsed) == (7, 2)
    assert (full.files_checked, full.files_parsed) == (7, 3)
    assert outcome.findings == full.findings


def _check_in_process(cwd: Path, target: str) -> str:
    """`auditor check TARGET` in a fresh interpreter: its exit code and whether libcst was loaded."""
    import subprocess
    import sys

    script = (
        "import sys\nfrom auditor.cli import main\n"
        f"try:\n    main(['check', '--no-cache', {target!r}])\n"
        "except SystemExit as exit:\n    print('exit', exit.code, 'libcst' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd)
    return done.stdout.splitlines()[-1]


def test_no_sdk_files_never_import_libcst(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import os\n")
    assert _check_in_process(tmp_path, "a.py") == "exit 0 False"


def test_a_finding_without_parsing_never_imports_libcst(tmp_path: Path) -> None:
    """Reporting an ANT000 loads the rule registry: no rule may pull libcst in at import time
    (a run over a large tree with one bad file would pay for it)."""
    (tmp_path / "a.py").write_text("import os\n")
    (tmp_path / "b.py").write_bytes(b"# -*- coding: uft-8 -*-\nimport anthropic\n")
    assert _check_in_process(tmp_path, ".") == "exit 1 False"
