"""A bounded fuzz run: generated and mangled SDK programs through the real command.

Whatever the input, auditor must finish, print no traceback, put every position inside its
file, and never need the supervisor's last resort: a file that crashed or stalled a worker
means the pre-screen missed a shape, which this test reports by name.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from generated_programs import mangled, program

PROGRAMS = 300


def test_generated_programs_never_break_a_run(tmp_path: Path) -> None:
    rng = random.Random(20261129)
    contents: dict[str, bytes] = {}
    for n in range(PROGRAMS):
        data = mangled(rng) if n % 3 else program(rng).encode()
        name = f"p{n:03}.py"
        (tmp_path / name).write_bytes(data)
        contents[name] = data
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--no-cache", "--jobs", "2", "--output-format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stderr == ""
    assert done.returncode in (0, 1)
    findings = json.loads(done.stdout)
    assert findings, "the generator makes plenty of mistakes"
    for finding in findings:
        lines = contents[finding["path"]].splitlines() or [b""]
        assert 1 <= finding["start"]["line"] <= len(lines), finding
        assert finding["start"]["column"] >= 1, finding
        assert "crashed" not in finding["message"] and "longer than" not in finding["message"], finding
    codes = {finding["code"] for finding in findings}
    assert {"ANT000", "ANT101", "ANT201", "ANT402"} <= codes
