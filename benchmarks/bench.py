"""Time `auditor check` as a user runs it, and compare it with ruff and Fixit on the same files.

Run from the repository, with the interpreter that has auditor installed:

    python benchmarks/bench.py                  # everything: 15-25 minutes on 2 cores
    python benchmarks/bench.py --quick          # 3 runs per command (1 for slow ones), N = 100, 1000
    python benchmarks/bench.py --runs 7 --sizes 100,1000,10000 --skip-compare

Every figure is a whole command (interpreter start-up included) run in a subprocess, its output
discarded. Each command runs once untimed to warm the OS file cache, then `--runs` times; a
command whose first run takes over 10 s is run 3 times in all, its first run counted.

- wall s: median wall-clock seconds over the runs; min-max is their range.
- files/s, ms/file: files in the corpus / median wall time. Start-up is included, so small
  corpora look slower per file; the "marginal ms/file" between two sizes cancels it out.
- CPU s: median user + system CPU of the command and every process it waited for (workers
  included); CPU s above wall s means several cores were busy.
- peak MB: median peak resident memory of the largest single process of the command
  (ru_maxrss of RUSAGE_CHILDREN, read in a fresh `python -c` wrapper per run so that earlier
  commands do not leak into it). Worker processes are not summed: with N workers the machine
  may hold up to about N times this figure.

Corpora: the standard library of this interpreter and the installed `anthropic` package, cold
(`--no-cache`) and warm (a `--cache-dir` filled by one run first); N generated SDK-heavy
application modules (cold); 5-file pre-commit runs; start-up. Comparisons, when installed next
to this interpreter: `ruff check --no-cache --select S113` (requests without a timeout, the
nearest ruff rule) and `fixit lint` with one rule equivalent to ANT401
(benchmarks/fixit_rules/anthropic_timeout.py). A ratio is auditor time / other time: below 1
means auditor is faster.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SLOW_SECONDS = 10.0  # a command slower than this is run 3 times in all (once with --quick)
FIXIT_BUDGET_SECONDS = 120.0  # skip Fixit on a generated corpus when one run would take longer
SKIPPED_DIRS = {"site-packages", "__pycache__", "build", "dist", "venv", ".venv", ".git", "node_modules"}
FIXIT_RULE = ".fixit_rules.anthropic_timeout"  # a local rule, relative to the working directory

# Runs one command in a fresh interpreter so that ru_maxrss of RUSAGE_CHILDREN is this command's.
WRAPPER = r"""
import json, resource, subprocess, sys, time
cmd, cwd = json.loads(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": ru.ru_maxrss,
                  "rc": proc.returncode, "stderr": proc.stderr.decode(errors="replace")[-1500:]}))
"""


@dataclass
class Result:
    corpus: str
    files: int
    command: str
    walls: list[float]
    cpus: list[float]
    rss_mb: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def rss(self) -> float:
        return statistics.median(self.rss_mb)

    def row(self) -> str:
        med = self.median
        return (f"{self.corpus:<20} {self.files:>6} {self.command:<21} {med:>8.3f} {self.files / med:>8.0f} "
                f"{1000 * med / self.files:>8.2f} {min(self.walls):>7.3f}-{max(self.walls):<7.3f} "
                f"{statistics.median(self.cpus):>7.2f} {self.rss:>7.1f}")


HEADER = (f"{'corpus':<20} {'files':>6} {'command':<21} {'wall s':>8} {'files/s':>8} {'ms/file':>8} "
          f"{'min-max s':<15} {'CPU s':>7} {'peak MB':>7}")


@dataclass
class Plan:
    runs: int  # timed runs per command
    quick: bool  # count the first run instead of discarding it; slow commands run once


def tool(name: str) -> Path | None:
    """A console script installed next to this interpreter (the same environment)."""
    path = BIN / name
    return path if path.exists() else None


def measure_once(cmd: list[str], cwd: Path, ok: tuple[int, ...]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    out = subprocess.run([sys.executable, "-c", WRAPPER, json.dumps(cmd), str(cwd)],
                         capture_output=True, text=True, env=env, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if data["rc"] not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {data['rc']}:\n{data['stderr']}")
    return data


def bench(plan: Plan, corpus: str, files: int, command: str, cmd: list[str], cwd: Path,
          ok: tuple[int, ...]) -> Result:
    """Run `cmd` once to warm up, then until there are `plan.runs` timed runs (fewer when slow)."""
    first = measure_once(cmd, cwd, ok)
    slow = first["wall"] > SLOW_SECONDS
    samples = [first] if slow or plan.quick else []
    runs = (1 if plan.quick else 3) if slow else plan.runs
    while len(samples) < runs:
        samples.append(measure_once(cmd, cwd, ok))
    result = Result(corpus, files, command, [s["wall"] for s in samples], [s["cpu"] for s in samples],
                    [s["rss_kb"] / 1024 for s in samples])
    print(f"  {result.row()}", file=sys.stderr, flush=True)
    return result


def count_files(root: Path) -> int:
    """Python files under root, skipping the directories both tools exclude by default."""
    total = 0
    for _, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        total += sum(n.endswith((".py", ".pyi")) for n in names)
    return total


# --- the generated corpus -------------------------------------------------------------------

MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "claude-3-5-haiku-latest"]
TOPICS = ["support tickets", "release notes", "code review", "translation", "meeting notes",
          "invoice extraction", "search answers", "product copy", "log triage", "email drafts"]
MISTAKES = ["no-timeout", "timeout-none", "retry-loop", "swallowed", "huge-max-tokens", "tenacity"]


def call(rng: random.Random, recv: str, indent: str, arg: str, kind: str = "create",
         extra: tuple[str, ...] = (), tokens: str = "MAX_TOKENS") -> list[str]:
    option = rng.choice([[], ["temperature=0.2"], ["system=SYSTEM_PROMPT"], ['stop_sequences=["</answer>"]']])
    head = "with " if kind == "stream" else "message = "
    tail = " as stream:" if kind == "stream" else ""
    return [
        f"{indent}{head}{recv}.messages.{kind}(",
        f"{indent}    model=MODEL,",
        f"{indent}    max_tokens={tokens},",
        *(f"{indent}    {keyword}," for keyword in [*option, *extra]),
        f"{indent}    messages=[{{\"role\": \"user\", \"content\": {arg}}}],",
        f"{indent}){tail}",
    ]


def sdk_function(rng: random.Random, n: int, exc: str, recv: str, mistake: str | None) -> list[str]:
    """One function (or method, when `recv` is self.client) that calls the SDK."""
    ind = "    " * (2 if recv.startswith("self") else 1)
    sig = f"{ind[:-4]}def step_{n}({'self, ' if recv.startswith('self') else ''}text: str) -> str:"
    prompt = f'f"{{PROMPT_PREFIX}} {n}: {{text}}"'
    kind = rng.choice(["plain", "try", "stream", "per-call", "loop-items", "json"])
    if mistake == "retry-loop":
        body = [f"{ind}for attempt in range({rng.randint(3, 6)}):", f"{ind}    try:"]
        body += call(rng, recv, ind + "        ", prompt)
        body += [f"{ind}        return message.content[0].text", f"{ind}    except {exc}RateLimitError:",
                 f"{ind}        time.sleep(2**attempt)", f"{ind}raise RuntimeError(\"gave up\")"]
    elif mistake == "swallowed":
        body = [f"{ind}try:"] + call(rng, recv, ind + "    ", prompt)
        body += [f"{ind}    return message.content[0].text", f"{ind}except {exc}APIError:", f"{ind}    pass",
                 f"{ind}return \"\""]
    elif mistake == "huge-max-tokens":
        body = call(rng, recv, ind, prompt, tokens="64000") + [f"{ind}return message.content[0].text"]
    elif kind == "stream":
        body = [f"{ind}parts: list[str] = []"] + call(rng, recv, ind, prompt, kind="stream")
        body += [f"{ind}    for chunk in stream.text_stream:", f"{ind}        parts.append(chunk)",
                 f"{ind}return \"\".join(parts)"]
    elif kind == "try":
        body = [f"{ind}try:"] + call(rng, recv, ind + "    ", prompt)
        body += [f"{ind}except {exc}RateLimitError as error:", f"{ind}    logger.warning(\"rate limited: %s\", error)",
                 f"{ind}    raise", f"{ind}except {exc}APIStatusError as error:",
                 f"{ind}    logger.error(\"status %s on step {n}\", error.status_code)", f"{ind}    raise",
                 f"{ind}except {exc}APIConnectionError:", f"{ind}    logger.exception(\"connection failed\")",
                 f"{ind}    return \"\"", f"{ind}return message.content[0].text"]
    elif kind == "per-call":
        body = call(rng, recv, ind, prompt, extra=(f"timeout={rng.choice([10, 15, 30])}",))
        body += [f"{ind}return message.content[0].text.strip()"]
    elif kind == "loop-items":
        body = [f"{ind}results = []", f"{ind}for line in text.splitlines():", f"{ind}    try:"]
        body += call(rng, recv, ind + "        ", "line")
        body += [f"{ind}        results.append(message.content[0].text)", f"{ind}    except {exc}APIError as error:",
                 f"{ind}        results.append(f\"skipped ({{error.__class__.__name__}})\")",
                 f"{ind}return \"\\n\".join(results)"]
    else:
        body = call(rng, recv, ind, prompt) + [f"{ind}raw = message.content[0].text"]
        if kind == "json":
            body += [f"{ind}try:", f"{ind}    return json.dumps(json.loads(raw), sort_keys=True)",
                     f"{ind}except json.JSONDecodeError:", f"{ind}    return raw"]
        else:
            body += [f"{ind}return raw"]
    deco = [f"{ind[:-4]}@retry(stop=stop_after_attempt(4))"] if mistake == "tenacity" else []
    return [""] + deco + [sig, f'{ind}"""Step {n} of the {rng.choice(TOPICS)} pipeline."""'] + body


def helper_function(rng: random.Random, n: int) -> list[str]:
    """Plain Python with no SDK call, as real modules have."""
    width = rng.randint(40, 120)
    return ["", f"def chunk_{n}(text: str, width: int = {width}) -> list[str]:",
            '    """Split text into pieces of at most width characters."""',
            "    pieces, current = [], []", "    for word in text.split():",
            "        if sum(len(w) + 1 for w in current) + len(word) > width:",
            "            pieces.append(\" \".join(current))", "            current = []",
            "        current.append(word)", "    if current:", "        pieces.append(\" \".join(current))",
            "    return pieces"]


def generate_file(index: int) -> str:
    """A realistic SDK-heavy module of about 60-150 lines; file `index` is the same for every N."""
    rng = random.Random(index)
    mistake = rng.choice(MISTAKES) if rng.random() < 0.2 else None
    style = rng.choice(["import", "from", "alias"])
    mod = {"import": "anthropic.", "from": "", "alias": "ant."}[style]
    lines = [f'"""{rng.choice(TOPICS).capitalize()}: helpers around the Messages API (module {index})."""',
             "", "from __future__ import annotations", "", "import json", "import logging", "import os",
             "import time", ""]
    lines += {"import": ["import anthropic"], "alias": ["import anthropic as ant"],
              "from": ["from anthropic import (", "    Anthropic,", "    APIConnectionError,", "    APIError,",
                       "    APIStatusError,", "    RateLimitError,", ")"]}[style]
    if mistake == "tenacity":
        lines += ["from tenacity import retry, stop_after_attempt"]
    lines += ["", f"MODEL = \"{rng.choice(MODELS)}\"", f"MAX_TOKENS = {rng.choice([256, 512, 1024, 2048])}",
              f"TIMEOUT = {rng.choice([20.0, 30.0, 45.0, 60.0])}", f"MAX_RETRIES = {rng.choice([1, 2, 3])}",
              f"PROMPT_PREFIX = \"You help with {rng.choice(TOPICS)}. Task\"",
              "SYSTEM_PROMPT = \"Answer briefly and cite the input.\"", "logger = logging.getLogger(__name__)", ""]
    ctor = f"{mod}Anthropic"
    if mistake == "no-timeout":
        build = [f"client = {ctor}(max_retries=MAX_RETRIES)"]
    elif mistake == "timeout-none":
        build = [f"client = {ctor}(timeout=None)"]
    else:
        build = rng.choice([
            [f"client = {ctor}(timeout=TIMEOUT, max_retries=MAX_RETRIES)"],
            [f"client = {ctor}(api_key=os.environ[\"ANTHROPIC_API_KEY\"], timeout=TIMEOUT)"],
            [f"_base = {ctor}()", "client = _base.with_options(timeout=TIMEOUT)"],
            ["", "def make_client():", f"    return {ctor}(timeout=TIMEOUT, max_retries=MAX_RETRIES)", "",
             "", "client = make_client()"],
        ])
    lines += build
    target, n = rng.randint(60, 150), 0
    in_class = rng.random() < 0.3
    if in_class:
        lines += ["", "", f"class Assistant{index}:", f'    """Keeps one client per {rng.choice(TOPICS)} worker."""',
                  "", "    def __init__(self) -> None:", f"        self.client = {ctor}(timeout=TIMEOUT)"]
        for _ in range(rng.randint(1, 3)):
            lines += sdk_function(rng, n, mod, "self.client", None)
            n += 1
        lines += [""]
    while len(lines) < target - 8:
        if rng.random() < 0.3:
            lines += [""] + helper_function(rng, n)
        else:
            lines += [""] + sdk_function(rng, n, mod, "client", mistake)
            mistake = None  # at most one mistake per file, in its first module-level function
        n += 1
    return "\n".join(lines) + "\n"


def write_corpus(root: Path, count: int) -> Path:
    for i in range(count):
        package = root / f"pkg_{i // 100:03d}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"module_{i:05d}.py").write_text(generate_file(i))
    return root




# --- the run ------------------------------------------------------------------------------------

def machine() -> str:
    cpu, memory = platform.processor() or platform.machine(), "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
        kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        memory = f"{kb / 1024**2:.1f} GiB"
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"machine: {cpu}, {os.cpu_count()} cores, {memory} RAM, {platform.system()} {platform.release()}, "
            f"load average at start {load}\npython:  {platform.python_version()} ({sys.executable})")


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


class Session:
    """The commands of one benchmark run, their results, and notes on what was skipped."""

    def __init__(self, plan: Plan, tmp: Path, ruff: Path | None, fixit: Path | None) -> None:
        self.plan, self.tmp, self.ruff, self.fixit = plan, tmp, ruff, fixit
        self.auditor = [str(tool("auditor"))] if tool("auditor") else [sys.executable, "-m", "auditor"]
        self.results: dict[tuple[str, str], Result] = {}
        self.notes: list[str] = []
        self.fixit_config = tmp / "fixit" / "pyproject.toml"  # root = true: no other config applies
        self.fixit_config.parent.mkdir()
        self.fixit_config.write_text("[tool.fixit]\nroot = true\n")

    def run(self, corpus: str, files: int, command: str, cmd: list[str], cwd: Path | None = None,
            ok: tuple[int, ...] = (0, 1)) -> Result:
        result = bench(self.plan, corpus, files, command, cmd, cwd or self.tmp, ok)
        self.results[corpus, command] = result
        return result

    def get(self, corpus: str, command: str) -> Result | None:
        return self.results.get((corpus, command))

    def auditor_cold(self, corpus: str, files: int, *paths: str | Path, cwd: Path | None = None) -> None:
        self.run(corpus, files, "auditor --no-cache", [*self.auditor, "check", "--no-cache", *map(str, paths)], cwd)

    def auditor_warm(self, corpus: str, files: int, path: Path) -> None:
        cmd = [*self.auditor, "check", "--cache-dir", str(self.tmp / f"cache-{len(self.results)}"), str(path)]
        measure_once(cmd, self.tmp, (0, 1))  # fills the cache
        self.run(corpus, files, "auditor warm cache", cmd)

    def ruff_s113(self, corpus: str, files: int, *paths: str | Path, cwd: Path | None = None) -> None:
        if self.ruff:
            cmd = [str(self.ruff), "check", "--no-cache", "--select", "S113", "--exit-zero", *map(str, paths)]
            self.run(corpus, files, "ruff S113", cmd, cwd, ok=(0,))

    def fixit_cmd(self, *paths: str | Path) -> list[str]:
        return [str(self.fixit), "--config-file", str(self.fixit_config), "--rules", FIXIT_RULE, "lint",
                *map(str, paths)]

    def fixit_rule(self, corpus: str, files: int, *paths: str | Path) -> None:
        if self.fixit:  # exit 1 = findings, 2 = a file it could not parse
            self.run(corpus, files, "fixit 1 rule", self.fixit_cmd(*paths), HERE, ok=(0, 1, 2))

    def check_fixit(self) -> None:
        """Make sure the Fixit rule really reports before timing it."""
        if not self.fixit:
            return
        sample = self.tmp / "fixit-sample.py"
        sample.write_text("import anthropic\nclient = anthropic.Anthropic()\n")
        out = subprocess.run(self.fixit_cmd(sample), cwd=HERE, capture_output=True, text=True)
        if "AnthropicClientWithoutTimeout" not in out.stdout:
            self.notes.append(f"Fixit skipped: its rule found nothing in a sample ({out.stderr.strip()[-300:]})")
            self.fixit = None


def run_all(session: Session, sizes: list[int]) -> None:
    s, tmp = session, session.tmp
    s.check_fixit()
    print("[start-up]", file=sys.stderr)
    s.run("start-up", 1, "python -c pass", [sys.executable, "-c", "pass"])
    s.run("start-up", 1, "auditor --version", [*s.auditor, "--version"])

    print("[pre-commit: 5 files]", file=sys.stderr)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    plain, sdk = tmp / "precommit-plain", tmp / "precommit-sdk"
    plain.mkdir()
    for name in ("textwrap.py", "string.py", "fnmatch.py", "shlex.py", "glob.py"):
        shutil.copy(stdlib / name, plain / name)
    write_corpus(sdk, 5)
    plain_files = sorted(p.name for p in plain.glob("*.py"))
    sdk_files = sorted(str(p.relative_to(sdk)) for p in sdk.rglob("*.py"))
    s.auditor_cold("5 files, no SDK", 5, *plain_files, cwd=plain)
    s.ruff_s113("5 files, no SDK", 5, *plain_files, cwd=plain)
    s.auditor_cold("5 files, SDK-heavy", 5, *sdk_files, cwd=sdk)
    s.ruff_s113("5 files, SDK-heavy", 5, *sdk_files, cwd=sdk)
    s.fixit_rule("5 files, SDK-heavy", 5, *(sdk / f for f in sdk_files))

    import anthropic  # a dependency of auditor: only its location is needed

    for corpus, path in (("stdlib", stdlib), ("anthropic source", Path(anthropic.__file__).parent)):
        print(f"[{corpus}: {path}]", file=sys.stderr)
        files = count_files(path)
        s.auditor_cold(corpus, files, path)
        s.auditor_warm(corpus, files, path)
        s.ruff_s113(corpus, files, path)
        if corpus != "stdlib":  # the stdlib never mentions the SDK: nothing to compare with Fixit
            s.fixit_rule(corpus, files, path)

    for n in sizes:
        corpus = f"generated N={n}"
        print(f"[{corpus}]", file=sys.stderr)
        root = write_corpus(tmp / f"generated-{n}", n)
        s.auditor_cold(corpus, n, root)
        s.ruff_s113(corpus, n, root)
        if s.fixit:  # estimate from Fixit's cost per file on the largest generated corpus timed so far
            timed = [r for r in s.results.values() if r.command == "fixit 1 rule" and r.files > 5]
            largest = max(timed, key=lambda r: (r.corpus.startswith("generated"), r.files), default=None)
            per_file = largest.median / largest.files if largest else 0.0
            if per_file * n > FIXIT_BUDGET_SECONDS:
                s.notes.append(f"Fixit not run on {corpus}: one run would take about {per_file * n:.0f} s "
                               f"({1000 * per_file:.0f} ms/file), over the {FIXIT_BUDGET_SECONDS:.0f} s budget")
            else:
                s.fixit_rule(corpus, n, root)
        shutil.rmtree(root)


def report(session: Session, sizes: list[int]) -> None:
    s = session
    print("\n" + HEADER + "\n" + "-" * len(HEADER))
    corpora = list(dict.fromkeys(r.corpus for r in s.results.values()))
    for corpus in corpora:
        for result in (r for r in s.results.values() if r.corpus == corpus):
            print(result.row())
        print()

    print("ratios: auditor --no-cache time / other time (below 1 = auditor faster)")
    for corpus in corpora:
        ours = s.get(corpus, "auditor --no-cache")
        for other in filter(None, (s.get(corpus, "ruff S113"), s.get(corpus, "fixit 1 rule"))):
            if ours:
                r = ours.median / other.median
                verdict = f"auditor {1 / r:.1f}x faster" if r < 1 else f"auditor {r:.1f}x slower"
                print(f"  {corpus:<20} vs {other.command:<13} {ours.median:8.3f} s / {other.median:8.3f} s "
                      f"= {r:8.3f}  {verdict}")

    print("\ngenerated corpora, auditor --no-cache: cost per file as N grows (marginal = extra time per extra")
    print("file from the previous N, start-up cancelled out; CPU figures are less sensitive to other load)")
    gen = [r for n in sizes if (r := s.get(f"generated N={n}", "auditor --no-cache"))]
    for i, r in enumerate(gen):
        cpu = statistics.median(r.cpus)
        print(f"  N={r.files:<6} {r.files / r.median:5.0f} files/s   wall {1000 * r.median / r.files:6.2f} ms/file   "
              f"CPU {1000 * cpu / r.files:6.2f} ms/file   peak {r.rss:4.0f} MB")
        if i:
            prev, added = gen[i - 1], r.files - gen[i - 1].files
            print(f"{'':<10} marginal from N={prev.files}: wall {1000 * (r.median - prev.median) / added:.2f} ms/file, "
                  f"CPU {1000 * (cpu - statistics.median(prev.cpus)) / added:.2f} ms/file, "
                  f"memory {1024 * (r.rss - prev.rss) / added:+.1f} KB/file")

    def wall(corpus: str, command: str = "auditor --no-cache") -> float | None:
        r = s.get(corpus, command)
        return r.median if r else None

    def speedup(corpus: str, other: str) -> float | None:
        ours, theirs = wall(corpus), wall(corpus, other)
        return None if ours is None or theirs is None else theirs / ours

    def line(text: str, value: float | None, ok: bool, unit: str) -> None:
        mark = "n/a " if value is None else ("PASS" if ok else "MISS")
        print(f"  [{mark}] {text:<56} {'n/a' if value is None else f'{value:.3f}{unit}'}")

    print("\ntargets:")
    t = wall("5 files, no SDK")
    line("5 non-SDK files < 0.1 s", t, t is not None and t < 0.1, " s")
    t = wall("5 files, SDK-heavy")
    line("5 SDK files < 0.5 s", t, t is not None and t < 0.5, " s")
    x = speedup("5 files, SDK-heavy", "fixit 1 rule")
    line("5 SDK files >= 2x faster than Fixit", x, x is not None and x >= 2, "x faster")
    x = speedup("stdlib", "ruff S113")
    line("stdlib cold faster than ruff --select S113", x, x is not None and x > 1, "x faster")
    x = speedup("anthropic source", "fixit 1 rule")
    line("anthropic source cold >= 5x faster than Fixit", x, x is not None and x >= 5, "x faster")
    t = wall("anthropic source", "auditor warm cache")
    line("anthropic source warm < 0.5 s", t, t is not None and t < 0.5, " s")
    # Start-up weighs on small corpora: judge flatness on N >= 1000 when there are two such sizes.
    judged = [r for r in gen if r.files >= 1000] if sum(r.files >= 1000 for r in gen) >= 2 else gen
    rates = [r.files / r.median for r in judged]
    x = min(rates) / max(rates) if len(rates) >= 2 else None
    line(f"files/s flat across N={','.join(str(r.files) for r in judged)} (min/max >= 0.7)", x,
         x is not None and x >= 0.7, " min/max")
    mems = [r.rss for r in gen]
    x = max(mems) / min(mems) if len(mems) >= 2 else None
    line("peak memory flat across N (max/min < 1.5)", x, x is not None and x < 1.5, " max/min")
    for note in s.notes:
        print(f"note: {note}")
    if hasattr(os, "getloadavg"):
        print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs (1 for slow commands), N = 100,1000")
    parser.add_argument("--runs", type=int, help="timed runs per command (default 5, 3 with --quick)")
    parser.add_argument("--sizes", help="generated corpus sizes, comma-separated (default 100,1000,10000)")
    parser.add_argument("--skip-compare", action="store_true", help="do not run ruff and Fixit")
    args = parser.parse_args()
    plan = Plan(runs=args.runs or (3 if args.quick else 5), quick=args.quick)
    sizes = [int(n) for n in (args.sizes or ("100,1000" if args.quick else "100,1000,10000")).split(",")]
    ruff, fixit = (None, None) if args.skip_compare else (tool("ruff"), tool("fixit"))

    print(machine())
    print(f"tools:   auditor {version('auditor')}, libcst {version('libcst')}, anthropic {version('anthropic')}, "
          f"ruff {version('ruff') if ruff else 'not used'}, fixit {version('fixit') if fixit else 'not used'}")
    print(f"plan:    {plan.runs} timed runs per command, median reported; commands over {SLOW_SECONDS:.0f} s: "
          f"{1 if plan.quick else 3} runs; generated N = {', '.join(map(str, sizes))}", flush=True)
    with tempfile.TemporaryDirectory(prefix="auditor-bench-") as tmp:
        session = Session(plan, Path(tmp), ruff, fixit)
        if ruff is None or fixit is None:
            missing = ", ".join(name for name, path in (("ruff", ruff), ("fixit", fixit)) if path is None)
            why = "--skip-compare" if args.skip_compare else f"not installed next to {sys.executable}"
            session.notes.append(f"no comparison with {missing} ({why})")
        run_all(session, sizes)
    report(session, sizes)


if __name__ == "__main__":
    main()
