"""The hostile inputs of issue 12 as a tree of 30 files: each used to crash, hang or exhaust
auditor. Shared by the isolation tests and benchmarks/isolation.py."""

from __future__ import annotations

import os
from pathlib import Path


def build_hostile_tree(root: Path) -> None:
    """The issue's reproducers, beside good files whose findings must all survive."""
    (root / "deep").mkdir()
    deep = root / "deep"
    sdk = "import anthropic\n"
    (deep / "and_chain.py").write_text(sdk + "x = " + " and ".join(["a"] * 10_000) + "\n")
    (deep / "parens.py").write_text(sdk + "x = " + "(" * 1300 + "1" + ")" * 1300 + "\n")
    (deep / "if_else.py").write_text(sdk + "x = " + " if a else ".join(["1"] * 24_000) + "\n")
    (deep / "plus.py").write_text(sdk + "x = " + " + ".join(["1"] * 20_000) + "\n")
    (deep / "calls.py").write_text(sdk + "x = a" + ".b()" * 5000 + "\n")
    (deep / "continued.py").write_text(sdk + "x = 1 " + "+ 1 \\\n" * 3000 + "\n")
    (deep / "huge.py").write_text(sdk + "# padding\n" * 250_000)
    (root / "binary.py").write_bytes(b"import anthropic\x00\xff")
    os.mkfifo(root / "fifo.py")
    (root / "zero.py").symlink_to("/dev/zero")
    (root / "loop").symlink_to(".")
    for n in range(20):
        (root / f"good_{n:02}.py").write_text(sdk + f"client_{n} = anthropic.Anthropic(timeout=None)\n")


EXPECTED_HOSTILE = [
    "binary.py:1:1: ANT000 binary file (contains NUL bytes), not Python source",
    "deep/and_chain.py:2:1: ANT000 an expression nested or chained deeper than 1,000 levels (too deep for the parser to handle safely): the file was not parsed",
    "deep/calls.py:2:1: ANT000 an expression nested or chained deeper than 1,000 levels (too deep for the parser to handle safely): the file was not parsed",
    "deep/continued.py:2:1: ANT000 an expression nested or chained deeper than 1,000 levels (too deep for the parser to handle safely): the file was not parsed",
    "deep/huge.py:1:1: ANT000 file too large to analyse safely (2.4 MiB, the limit is 2 MiB): the file was not checked",
    "deep/if_else.py:2:1: ANT000 an expression nested or chained deeper than 1,000 levels (too deep for the parser to handle safely): the file was not parsed",
    "deep/parens.py:2:1: ANT000 brackets nested deeper than 200 levels: the file was not parsed",
    "deep/plus.py:2:1: ANT000 an expression nested or chained deeper than 1,000 levels (too deep for the parser to handle safely): the file was not parsed",
    "fifo.py:1:1: ANT000 not a regular file (a FIFO): not read",
]
