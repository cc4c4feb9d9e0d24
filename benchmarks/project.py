"""What project-wide analysis costs: cold, warm, warm after editing one module, and a
pre-commit-sized run (5 named files of a large project) cold and warm.

Run from the repository, with the interpreter that has auditor installed:

    python benchmarks/project.py                       # about 10 minutes on 2 cores
    python benchmarks/project.py --before /path/to/older/bin/auditor --runs 5

`--before` names another auditor executable (an older release, say) to time side by side on
the same copies; the ratio column is this auditor / that one. Every figure is a whole command
in a subprocess (see bench.py for how wall, CPU and peak memory are read). The runs that use a
cache also print what this auditor says with `--verbose`: how many files it parsed, how many
other modules it summarised and how many results came from the cache.

Corpora, copied into a temporary directory first (runs write caches and edit files):
- "anthropic source": the installed SDK package, a real SDK-heavy code base;
- "framework": the installed mypy package (or `--framework DIR`), a large code base full of the
  word "messages" (its edited module is `options.py`);
- "generated project": an application of N modules that call the SDK through a factory,
  settings, a retry decorator and helpers of other modules (the shapes of DESIGN.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import HEADER, Plan, Result, bench, count_files, machine, measure_once, tool

FILES_STAGED = 5


def write_project(root: Path, modules: int) -> Path:
    """An application whose SDK facts live in other modules than its calls."""
    app = root / "app"
    (app / "features").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.auditor]\n")
    (app / "__init__.py").write_text("from .clients import make_client as make_client\n")
    (app / "features" / "__init__.py").write_text("")
    (app / "settings.py").write_text(
        "import os\n\nMODEL = 'claude-sonnet-4-5'\nMAX_TOKENS = 8192\nSHORT = 512\nTIMEOUT = None\n\n\n"
        "class Config:\n    max_tokens: int = 16000\n    timeout: float = 60.0\n"
    )
    (app / "clients.py").write_text(
        "import anthropic\n\nfrom .settings import TIMEOUT\n\n\ndef make_client():\n    return anthropic.Anthropic(max_retries=4)\n\n\n"
        "def make_timed_client(timeout=30.0):\n    return anthropic.Anthropic(timeout=timeout)\n\n\nshared = anthropic.Anthropic(timeout=TIMEOUT)\n"
    )
    (app / "utils.py").write_text(
        "import functools\nimport time\n\n\ndef retry(func):\n    @functools.wraps(func)\n    def wrapper(*args, **kwargs):\n"
        "        while True:\n            try:\n                return func(*args, **kwargs)\n            except Exception:\n"
        "                time.sleep(1)\n    return wrapper\n"
    )
    (app / "helpers.py").write_text(
        "from .settings import MODEL, SHORT\n\n\ndef ask(client, question):\n"
        "    return client.messages.create(model=MODEL, max_tokens=SHORT, messages=[question])\n"
    )
    for index in range(modules):
        if index % 3 == 2:  # plain modules, as a real application has
            text = f"def transform_{index}(rows):\n    return [row.strip() for row in rows if row]\n"
        else:
            text = (
                "import time\n\nimport anthropic\n\nfrom app import make_client\nfrom app.clients import make_timed_client\n"
                "from app.helpers import ask\nfrom app.settings import MAX_TOKENS, MODEL, Config\nfrom app.utils import retry\n\n\n"
                f"def draft_{index}(text, config: Config):\n    client = make_client()\n"
                "    return client.messages.create(model=MODEL, max_tokens=config.max_tokens, messages=[text])\n\n\n"
                f"@retry\ndef summary_{index}(text):\n"
                "    return make_timed_client().messages.create(model=MODEL, max_tokens=MAX_TOKENS, messages=[text])\n\n\n"
                f"def answer_{index}(text):\n    for _ in range(3):\n        try:\n            return ask(make_timed_client(), text)\n"
                "        except anthropic.RateLimitError:\n            time.sleep(1)\n"
            )
        (app / "features" / f"feature_{index:04d}.py").write_text(text)
    return root


class Comparison:
    def __init__(self, plan: Plan, tmp: Path, after: list[str], before: list[str] | None) -> None:
        self.plan, self.tmp, self.after, self.before = plan, tmp, after, before
        self.rows: list[tuple[Result, Result | None, str]] = []

    def scenario(self, corpus: str, files: int, what: str, args: list[str], cwd: Path, prepare: list[str] | None = None, edit: Path | None = None) -> None:
        """Time `auditor check ARGS` for each executable; `prepare` is run once first (to fill a
        cache); `edit` gets a new comment before every run (an edit to one module)."""
        results = []
        for executable in (self.after, self.before):
            if executable is None:
                results.append(None)
                continue
            label = what if executable is self.after else f"{what} (before)"
            cache = self.tmp / f"cache-{len(self.rows)}-{len(results)}"
            full = [*executable, "check", *[a.replace("{cache}", str(cache)) for a in args]]
            if prepare is not None:
                measure_once([*executable, "check", *[a.replace("{cache}", str(cache)) for a in prepare]], cwd, (0, 1))
            if edit is not None:
                results.append(_bench_with_edits(self.plan, corpus, files, label, full, cwd, edit))
            else:
                results.append(bench(self.plan, corpus, files, label, full, cwd, (0, 1)))
        verbose = ""
        if "--no-cache" not in args:
            cache = self.tmp / f"cache-{len(self.rows)}-0"
            if edit is not None:
                with edit.open("a") as stream:
                    stream.write("# one more edit\n")
            out = subprocess.run([*self.after, "check", "--verbose", *[a.replace("{cache}", str(cache)) for a in args]], cwd=cwd, capture_output=True, text=True)
            verbose = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ""
        after, before = results
        assert after is not None
        self.rows.append((after, before, verbose))

    def report(self) -> str:
        lines = [HEADER + f" {'x before':>9}"]
        for after, before, verbose in self.rows:
            ratio = f"{after.median / before.median:>9.2f}" if before is not None else f"{'-':>9}"
            lines.append(after.row() + ratio)
            if before is not None:
                lines.append(before.row())
            if verbose:
                lines.append(f"{'':<27}{verbose}")
        return "\n".join(lines)


def _bench_with_edits(plan: Plan, corpus: str, files: int, what: str, cmd: list[str], cwd: Path, edit: Path) -> Result:
    samples = []
    for run in range(max(plan.runs, 1) + (0 if plan.quick else 1)):
        with edit.open("a") as stream:
            stream.write(f"# edit {run}\n")
        samples.append(measure_once(cmd, cwd, (0, 1)))
    if not plan.quick:
        samples = samples[1:]
    result = Result(corpus, files, what, [s["wall"] for s in samples], [s["cpu"] for s in samples], [s["rss_kb"] / 1024 for s in samples])
    print(f"  {result.row()}", file=sys.stderr, flush=True)
    return result


def staged(root: Path, word: str) -> list[str]:
    """Five files of the corpus that mention `word`, as pre-commit would name staged files."""
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if word in p.read_text(errors="replace"))
    step = max(len(found) // FILES_STAGED, 1)
    return found[::step][:FILES_STAGED]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another auditor executable to compare with")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modules", type=int, default=600, help="modules of the generated project")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sdk-source", type=Path, help="the anthropic package's directory (default: the one this Python imports)")
    parser.add_argument("--framework", type=Path, help="a large framework's package directory (default: mypy's, from this Python)")
    options = parser.parse_args()
    after = [str(tool("auditor"))] if tool("auditor") else [sys.executable, "-m", "auditor"]
    before = [str(options.before)] if options.before else None
    print(machine())
    with tempfile.TemporaryDirectory(prefix="auditor-project-bench-") as name:
        tmp = Path(name)
        sdk, framework = options.sdk_source or _package("anthropic"), options.framework or _package("mypy")
        corpora = {
            "anthropic source": (sdk, f"{sdk.name}/_constants.py" if sdk else "", "anthropic"),
            "framework": (framework, f"{framework.name}/options.py" if framework else "", "messages"),
        }
        session = Comparison(Plan(options.runs, options.quick), tmp, after, before)
        for corpus, (source, edited, word) in corpora.items():
            if source is None:
                print(f"[{corpus}: not installed, skipped]", file=sys.stderr)
                continue
            root = tmp / corpus.split()[0]
            shutil.copytree(source, root / source.name, ignore=shutil.ignore_patterns("__pycache__"))
            (root / "pyproject.toml").write_text("[tool.auditor]\n")
            _scenarios(session, corpus, root, root / edited, staged(root, word))
        root = write_project(tmp / "generated", options.modules)
        _scenarios(session, "generated project", root, root / "app" / "settings.py", staged(root, "make_client"))
    print(session.report())


def _package(name: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def _scenarios(session: Comparison, corpus: str, root: Path, edited: Path, files: list[str]) -> None:
    print(f"[{corpus}]", file=sys.stderr)
    count = count_files(root)
    session.scenario(corpus, count, "cold", ["--no-cache", "."], root)
    session.scenario(corpus, count, "warm", ["--cache-dir", "{cache}", "."], root, prepare=["--cache-dir", "{cache}", "."])
    session.scenario(corpus, count, "warm, 1 module edited", ["--cache-dir", "{cache}", "."], root, prepare=["--cache-dir", "{cache}", "."], edit=edited)
    session.scenario(corpus, len(files), "5 staged, cold", ["--no-cache", *files], root)
    session.scenario(corpus, len(files), "5 staged, warm", ["--cache-dir", "{cache}", *files], root, prepare=["--cache-dir", "{cache}", "."])


if __name__ == "__main__":
    main()
