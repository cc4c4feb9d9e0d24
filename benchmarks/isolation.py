"""What analysis isolation costs: the hostile tree of issue 12, and a 5-file pre-commit run.

    python benchmarks/isolation.py [--runs 5]

Prints, for the 30-file tree of pathological inputs (tests/hostile_inputs.py) checked with
`--jobs 1` and `--jobs 2`, the median wall time and the peak memory of the largest single
process (workers included), measured as benchmarks/bench.py measures; then, for 5 SDK files,
the whole `auditor check` command and the part of it the supervisor adds (starting a worker,
sending the tasks, reading the results), measured in-process against calling the same
analysis directly.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from bench import BIN, generate_file, measure_once  # noqa: E402
from hostile_inputs import build_hostile_tree  # noqa: E402


def whole_command(cmd: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median wall seconds and median peak MB of `cmd`, after one warm-up run."""
    measure_once(cmd, cwd, (0, 1))
    samples = [measure_once(cmd, cwd, (0, 1)) for _ in range(runs)]
    return statistics.median(s["wall"] for s in samples), statistics.median(s["rss_kb"] for s in samples) / 1024


def supervisor_overhead(paths: list[Path], runs: int) -> tuple[float, float]:
    """Median seconds for the 5 files analysed directly, and through a fresh supervisor."""
    from auditor import api
    from auditor.config import Settings

    settings = Settings(root=paths[0].parent)
    jobs = [api._Job(n, p, p.name, settings, True, False, api.FILE_TIME_LIMIT) for n, p in enumerate(paths)]
    api.analysis_supervisor().close()  # imports done once, as in a real run
    direct, supervised = [], []
    for _ in range(runs):
        start = time.perf_counter()
        for job in jobs:
            api._analyse_job(job)
        direct.append(time.perf_counter() - start)
        start = time.perf_counter()
        with api.analysis_supervisor() as supervisor:
            list(supervisor.run(jobs))
        supervised.append(time.perf_counter() - start)
    return statistics.median(direct), statistics.median(supervised)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    auditor = str(BIN / "auditor")
    with tempfile.TemporaryDirectory() as temporary:
        tree = Path(temporary) / "hostile"
        tree.mkdir()
        build_hostile_tree(tree)
        print(f"hostile tree: {sum(1 for p in tree.rglob('*.py') if not p.is_symlink() or p.name == 'zero.py')} files")
        for jobs in ("1", "2"):
            wall, peak = whole_command([auditor, "check", "--no-cache", "--jobs", jobs, "."], tree, runs)
            print(f"  --jobs {jobs}: {wall:.2f} s wall, {peak:.0f} MB peak (largest process)")
        small = Path(temporary) / "precommit"
        small.mkdir()
        paths = []
        for n in range(5):
            path = small / f"m{n}.py"
            path.write_text(generate_file(n))
            paths.append(path)
        wall, peak = whole_command([auditor, "check", "--no-cache", *map(str, paths)], small, runs)
        print(f"5-file pre-commit run: {wall:.3f} s wall, {peak:.0f} MB peak")
        direct, supervised = supervisor_overhead(paths, runs)
        print(f"  analysis of the 5 files in-process: {direct * 1000:.1f} ms; in a supervised worker: {supervised * 1000:.1f} ms; isolation adds {(supervised - direct) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
