"""`--diff-base REF`: judge a pull request on the lines it adds or changes, not on legacy code.

The changed lines are those of `git diff <merge base of REF and HEAD>` against the working tree
(so uncommitted edits count), plus every line of untracked files. Git runs as a subprocess with
an argument list (never a shell); every way it can fail becomes a DiffError for the user.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from auditor.findings import Finding

# Absolute resolved path -> 1-based line numbers added or changed in that file. A file that is
# in the diff with no new line (only deletions) maps to an empty set.
ChangedLines = dict[Path, set[int]]

# ANT000: parse errors and unreadable files, reported at line 1 or wherever the parser gave up.
WHOLE_FILE_CODES = frozenset({"ANT000"})

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# The options that make `git diff` output parseable whatever the user's configuration says.
_DIFF_OPTIONS = (
    "--unified=0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


class DiffError(Exception):
    """Git could not say what changed: a message for the user, never a traceback."""


def changed_lines(base_ref: str, cwd: Path) -> ChangedLines:
    """Lines added or changed since the merge base of `base_ref` and HEAD, working tree included."""
    top = _toplevel(cwd)
    if base_ref.startswith("-") or not base_ref.strip():
        raise DiffError(f"unknown revision {base_ref!r}")
    base = _git(top, "rev-parse", "--verify", "--quiet", f"{base_ref}^{{commit}}")
    if base.returncode != 0:
        raise DiffError(f"unknown revision {base_ref!r}: no commit of that name in {top}")
    head = _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode != 0:
        raise DiffError(f"HEAD of {top} has no commit yet, so there is nothing to compare {base_ref!r} with")
    merge_base = _git(top, "merge-base", base.stdout.strip(), head.stdout.strip())
    if merge_base.returncode != 0:
        raise DiffError(f"{base_ref!r} and HEAD have no common ancestor" + _detail(merge_base))
    diff = _git(top, "diff", *_DIFF_OPTIONS, merge_base.stdout.strip(), "--")
    if diff.returncode != 0:
        raise DiffError(f"git diff against {base_ref!r} failed" + _detail(diff))
    changed = parse_diff(diff.stdout, top)
    untracked = _git(top, "ls-files", "-z", "--others", "--exclude-standard")
    if untracked.returncode != 0:
        raise DiffError("git ls-files failed" + _detail(untracked))
    for name in untracked.stdout.split("\0"):
        if name:
            path = (top / name).resolve()
            changed[path] = set(range(1, _line_count(path) + 1))
    return changed


def touches_changed_lines(finding: Finding, changed: ChangedLines) -> bool:
    """Whether `finding` is on a line the change added or modified.

    The span counts from its first line to its last, inclusive (a span that ends at column 1 of
    a line does not reach into that line). A file not in the diff keeps none of its findings.
    Whole-file findings (ANT000: a parse error, an unreadable or binary file) count whenever the
    file is in the diff at all, even by deletions only: deleting a bracket can break a file at a
    line the diff never touched, and the change is still to blame.
    """
    path = Path(finding.path)
    if not path.is_absolute():
        path = Path.cwd() / path
    lines = changed.get(path.resolve())
    if lines is None:
        return False
    if finding.code in WHOLE_FILE_CODES:
        return True
    span = finding.file_span  # a notebook's finding: the lines of its JSON that hold the code
    last = span.end_line - 1 if span.end_line > span.line and span.end_column == 1 else span.end_line
    return any(line in lines for line in range(span.line, max(last, span.line) + 1))


def parse_diff(text: str, top: Path) -> ChangedLines:
    """The new-side line numbers of a `git diff --unified=0` patch, by absolute resolved path.

    A hunk's body is consumed by its line counts, so an added line that happens to read
    `++ x` (shown as `+++ x`) is never mistaken for a file header. Binary files, deleted files
    and pure renames have no `+++` header with hunks and so do not appear.
    """
    changed: ChangedLines = {}
    current: set[int] | None = None
    old_left = new_left = 0
    for line in text.splitlines():
        if old_left > 0 or new_left > 0:
            if line.startswith("-"):
                old_left -= 1
            elif line.startswith("+"):
                new_left -= 1
            continue  # "\ No newline at end of file" belongs to the hunk and counts nothing
        if line.startswith("+++ "):
            name = _header_path(line[4:])
            current = None if name is None else changed.setdefault((top / name).resolve(), set())
        elif line.startswith("diff --git "):
            current = None
        elif match := _HUNK.match(line):
            old_count = 1 if match[1] is None else int(match[1])
            start, new_count = int(match[2]), 1 if match[3] is None else int(match[3])
            if current is not None:  # None: a deleted file, whose body is still consumed
                current.update(range(start, start + new_count))  # empty for a pure deletion
            old_left, new_left = old_count, new_count
    return changed


def _header_path(text: str) -> str | None:
    """`b/path` (or `"b/quoted\\tpath"`) of a `+++` line, None for /dev/null."""
    text = text.rstrip("\t")  # git appends a tab after names that contain spaces in some versions
    if text == "/dev/null":
        return None
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = _unquote(text[1:-1])
    return text[2:] if text.startswith("b/") else text


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(text: str) -> str:
    """Undo git's C-style quoting of a path (core.quotePath): escapes and octal-escaped bytes."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in "01234567" and re.fullmatch(r"[0-7]{3}", text[index + 1 : index + 4]):
                out.append(int(text[index + 1 : index + 4], 8))
                index += 4
                continue
            if following in _ESCAPES:
                out.append(_ESCAPES[following])
                index += 2
                continue
        out.extend(os.fsencode(char))
        index += 1
    return os.fsdecode(bytes(out))


def _line_count(path: Path) -> int:
    """Lines in an untracked file (at least 1, so a whole-file finding on an empty file counts)."""
    newlines, last = 0, b"\n"
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return 1
    return max(newlines + (last != b"\n"), 1)


def _toplevel(cwd: Path) -> Path:
    result = _git(cwd, "rev-parse", "--show-toplevel")
    if result.returncode != 0 or not result.stdout.strip():
        if "not a git repository" in result.stderr:
            raise DiffError(f"--diff-base needs a git repository: {cwd} is not a git repository (or inside one)")
        raise DiffError(f"--diff-base needs a git work tree at {cwd}" + _detail(result))
    return Path(result.stdout.rstrip("\n")).resolve()


def _git(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `git -C where args...`; output is decoded leniently, since diffs hold any bytes."""
    # Optional locks off: `git diff` may refresh the index, which must not race an editor's git.
    # LC_ALL=C: git's messages in English, so "not a git repository" can be recognised.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    command = ["git", "-C", str(where), "-c", "core.quotePath=true", *args]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise DiffError("--diff-base needs git, and no `git` command was found on PATH") from None
    except OSError as error:
        raise DiffError(f"cannot run git: {error.strerror or error}") from None


def _detail(result: subprocess.CompletedProcess[str]) -> str:
    lines: Iterable[str] = (line.strip() for line in result.stderr.splitlines())
    message = " ".join(line for line in lines if line)
    return f": {message}" if message else ""
