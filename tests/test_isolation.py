"""Analysis isolation: a file that crashes, hangs or exhausts a worker costs only that file.

The supervisor is driven with work that really segfaults, really sleeps past its deadline and
really runs out of its memory cap; the command runs on a tree of the hostile inputs that used
to take auditor down (issue 12), with one and two workers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.engine import _within
from auditor.supervisor import Supervisor, WorkerLost
from hostile_inputs import EXPECTED_HOSTILE, build_hostile_tree


def _work(task: str) -> str:
    if task == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if task == "hang":
        time.sleep(60)
    if task == "hog":
        hoard = bytearray(2 * 1024**3)  # over the 1 GiB cap below: MemoryError
        return str(len(hoard))
    if task == "exit":
        os._exit(7)
    if task == "bug":
        raise KeyError("no such node")
    return task.upper()


def _lost(task: str, reason: WorkerLost) -> str:
    return f"{'bug in' if reason.internal else 'lost'} {task}: {reason}"


@pytest.mark.parametrize("workers", [1, 2])
def test_every_good_task_survives_the_bad_ones(workers: int) -> None:
    tasks = ["a", "segfault", "b", "hang", "c", "hog", "d", "exit", "e", "bug", "f"]
    supervisor = Supervisor(_work, _lost, workers=workers, time_limit=0.5, memory_limit=1024**3)
    supervisor_grace = 1.0
    import auditor.supervisor

    original, auditor.supervisor.KILL_GRACE = auditor.supervisor.KILL_GRACE, supervisor_grace
    try:
        started = time.monotonic()
        results = dict(supervisor.run(tasks))
        elapsed = time.monotonic() - started
    finally:
        auditor.supervisor.KILL_GRACE = original
    assert [results[i] for i in range(len(tasks))] == [
        "A",
        "lost segfault: the parser crashed on this file (SIGSEGV): the file was not checked",
        "B",
        "lost hang: analysis took longer than 0.5 s and was stopped: the file was not checked",
        "C",
        "lost hog: the analysis needed more than 1 GiB of memory: the file was not checked",
        "D",
        "lost exit: the analysis process exited unexpectedly (exit code 7): the file was not checked",
        "E",
        "bug in bug: KeyError: 'no such node' (at test_isolation.py:36)",
        "F",
    ]
    assert elapsed < 10  # the hang cost its deadline, not its 60 s


def test_positions_are_clamped_into_the_file() -> None:
    source = "import anthropic\nx = (\n"
    assert _within(source, 3, 0) == (2, 1)  # a line past the end, column 0
    assert _within(source, 2, 99) == (2, 6)
    assert _within("", None, None) == (1, 1)
    assert _within(source, 1, 5) == (1, 5)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_hostile_tree_end_to_end(tmp_path: Path, jobs: str) -> None:
    build_hostile_tree(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--no-cache", "--jobs", jobs, "--output-format", "concise", "-q", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr == ""
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    good = [line for line in lines if line.startswith("good_")]
    assert [line.split(":")[0] for line in good] == [f"good_{n:02}.py" for n in range(20)]
    assert all(":2:" in line and " ANT402 " in line for line in good)
    assert [line for line in lines if not line.startswith("good_")] == EXPECTED_HOSTILE + [
        "zero.py:1:1: ANT000 not a regular file (a device): not read",
    ]


def test_explicit_paths_are_read_once(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import anthropic\nc = anthropic.Anthropic(timeout=None)\n")
    (tmp_path / "alias.py").symlink_to("app.py")
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--no-cache", "--output-format", "json", ".", "app.py", str(tmp_path / "app.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert [(f["path"], f["start"]["line"]) for f in json.loads(done.stdout)] == [("app.py", 2)]


def test_cache_keys_what_the_worker_analysed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file edited between the parent's read and the worker's: the result must be stored
    under the content the worker analysed, never under the parent's stale hash."""
    from auditor import api, engine
    from auditor.cache import ResultCache
    from auditor.config import Settings

    monkeypatch.chdir(tmp_path)
    app = tmp_path / "app.py"
    clean = b"import anthropic\nc = anthropic.Anthropic(timeout=30)\n"
    broken = b"import anthropic\nc = anthropic.Anthropic(timeout=None)\n"
    app.write_bytes(broken)
    settings = Settings(root=tmp_path)
    real_read = engine.read_file

    def stale_read(path: Path) -> tuple[engine.FileResult, bytes | None]:
        result, _ = real_read(path)
        return result, clean  # what the file held a moment before the worker read it

    monkeypatch.setattr(api, "read_file", stale_read)
    cache = ResultCache(tmp_path / "cache", lambda message: None)
    options = api.CheckOptions(cache=cache)
    [first] = api.check_files([app], lambda path: settings, options)
    assert [f.code for f in first.findings] == ["ANT402"]
    monkeypatch.setattr(api, "read_file", real_read)

    app.write_bytes(clean)
    cache = ResultCache(tmp_path / "cache", lambda message: None)
    [second] = api.check_files([app], lambda path: settings, api.CheckOptions(cache=cache))
    assert second.findings == []
    assert cache.hits == 0  # the clean content was never analysed, so it cannot be cached

    app.write_bytes(broken)
    cache = ResultCache(tmp_path / "cache", lambda message: None)
    [third] = api.check_files([app], lambda path: settings, api.CheckOptions(cache=cache))
    assert [f.code for f in third.findings] == ["ANT402"]


def test_a_crash_exits_3_with_one_line() -> None:
    script = (
        "import sys, click\n"
        "from auditor import cli\n"
        "cli.main.add_command(click.Command('boom', callback=lambda: 1 / 0))\n"
        "sys.argv = ['auditor', 'boom']\n"
        "cli.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.startswith("auditor: internal error: ZeroDivisionError: division by zero")
    assert done.stderr.count("\n") == 1


def test_ctrl_c_exits_130_and_leaves_no_worker(tmp_path: Path) -> None:
    chain = " + ".join(["1"] * 900)  # about a second of parsing each
    for n in range(30):
        (tmp_path / f"slow_{n:02}.py").write_text(f"import anthropic\nx = {chain}\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", "check", "--no-cache", "--jobs", "2", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    children: list[int] = []
    while len(children) < 2 and time.monotonic() < deadline:  # both workers busy
        time.sleep(0.1)
        children = _children(process.pid)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err == "auditor: interrupted\n"
    assert children, "the run had started its workers"
    time.sleep(0.5)
    assert [pid for pid in children if _alive(pid)] == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
