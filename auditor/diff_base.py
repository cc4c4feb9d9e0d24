"""`--diff-base REF`: the findings a change brings, found by comparing with the code it started from.

The base is the merge base of REF and HEAD. Each checked file is compared with its own version
there: a finding is new unless the base version has one with the same line-independent
fingerprint, matched with counts exactly as a baseline matches (`auditor.baseline`). So a new call
through an old client reports ANT401 at the old constructor, a new broad handler reports ANT201 at
the old specific one, and code that merely moved keeps its findings old.

Cost: a file git reports unchanged reuses the working tree's result as its base result; only the
changed and renamed files are read from git objects (`git ls-tree`, `git cat-file --batch`, into
memory: the working tree and the index are never touched) and analysed again, each as if it were at
its working-tree path, so the same configuration and per-file ignores apply. A file the base does
not have (added, untracked, ignored, or outside the repository) is new in full.

Git runs as a subprocess with an argument list (never a shell); every way it can fail becomes a
DiffError for the user.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.baseline import Baseline
from auditor.findings import Finding

# ls-tree modes of a regular file; a symlink (120000) or a submodule (160000) has no base source.
_FILE_MODES = ("100644", "100755")
_SHALLOW_HINT = "fetch the history (`git fetch --unshallow`, or `fetch-depth: 0` for actions/checkout)"


class DiffError(Exception):
    """Git could not say what the base was: a message for the user, never a traceback."""


@dataclass
class Changes:
    """How the working tree differs from a commit, by path relative to the top level ('/'-separated)."""

    # A changed file -> the path of its base version (None: added, no base version).
    changed: dict[str, str | None] = field(default_factory=dict)
    # Renamed without a change of content: the base version is the working tree's.
    same: set[str] = field(default_factory=set)


def merge_base(ref: str, start: Path) -> tuple[Path, str]:
    """(top level of the repository holding `start`, merge base of `ref` and HEAD)."""
    top = _toplevel(start)
    if ref.startswith("-") or not ref.strip():
        raise DiffError(f"unknown revision {ref!r}")
    base = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if base.returncode != 0:
        if _is_shallow(top):
            raise DiffError(f"unknown revision {ref!r} in {top}, a shallow clone: fetch it too, or {_SHALLOW_HINT}")
        raise DiffError(f"unknown revision {ref!r}: no commit of that name in {top}")
    head = _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode != 0:
        raise DiffError(f"HEAD of {top} has no commit yet, so there is nothing to compare {ref!r} with")
    found = _git(top, "merge-base", base.stdout.strip(), head.stdout.strip())
    if found.returncode != 0:
        if _is_shallow(top):
            raise DiffError(f"{ref!r} and HEAD have no common ancestor in this shallow clone: {_SHALLOW_HINT}")
        raise DiffError(f"{ref!r} and HEAD have no common ancestor" + _detail(found))
    return top, found.stdout.strip()


def changes_since(top: Path, commit: str) -> Changes:
    """What `git diff --find-renames COMMIT` says changed, working tree and index included."""
    diff = _git(top, "diff", "--name-status", "-z", "--find-renames", "--no-ext-diff", "--no-textconv", commit, "--")
    if diff.returncode != 0:
        raise DiffError(f"git diff against {commit[:12]} failed" + _detail(diff))
    changes = Changes()
    fields = diff.stdout.split("\0")
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        if status[0] in "RC":  # R<score> OLD NEW; a copy leaves its source in place
            old, new = fields[index + 1], fields[index + 2]
            if status[0] == "R" and status[1:] == "100":
                changes.same.add(new)
            else:
                changes.changed[new] = old
            index += 3
            continue
        path = fields[index + 1]
        # A: no base version. D: deleted from the index but maybe still on disk (`git rm --cached`),
        # where it is compared with its base version like any other changed file.
        changes.changed[path] = None if status[0] == "A" else path
        index += 2
    return changes


def new_findings(
    ref: str,
    findings: list[Finding],
    checked_paths: set[str],
    root: Path,
    check_contents: Callable[[list[tuple[Path, bytes]]], Iterable[list[Finding]]],
    known: Baseline | None = None,
) -> list[Finding]:
    """The findings of the working tree that its merge base with `ref` does not have.

    `checked_paths` are the display paths of every file checked; `check_contents` analyses file
    contents as if each were at its path and returns each one's findings. With `known` (the
    `--baseline`), what the baseline hides is hidden at the base too, so that a finding is reported
    only when neither the base nor the baseline accounts for it.
    """
    # The repository is the one holding the checked files (the root may be elsewhere: `--config`).
    start = Path(os.path.realpath(min(checked_paths))).parent if checked_paths else root
    top, commit = merge_base(ref, start)
    changes = changes_since(top, commit)
    tree = _tree(top, commit)
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    base: list[Finding] = []
    wanted: list[tuple[str, str]] = []  # (display path, blob of its base version)
    for shown in sorted(checked_paths):
        relative = _relative_to(top, shown)
        if relative is None:
            continue  # outside the repository: no base version
        if relative in changes.changed:
            old = changes.changed[relative]
            blob = tree.get(old) if old is not None else None
            if blob is not None:
                wanted.append((shown, blob))
        elif relative in changes.same or relative in tree:
            base.extend(by_path.get(shown, []))  # unchanged: the base result is the working tree's
    contents = _read_blobs(top, {blob for _, blob in wanted})
    for found in check_contents([(Path(shown), contents[blob]) for shown, blob in wanted]):
        base.extend(found)
    if known is not None:
        findings, base = known.match(findings, root).reported, known.match(base, root).reported
    return Baseline.from_findings(base, root).match(findings, root).reported


def _relative_to(top: Path, shown: str) -> str | None:
    relative = os.path.relpath(os.path.realpath(shown), top)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return None
    return relative.replace(os.sep, "/")


def _tree(top: Path, commit: str) -> dict[str, str]:
    """Path -> blob of every regular file in `commit`."""
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit)
    if listing.returncode != 0:
        raise DiffError(f"git ls-tree of {commit[:12]} failed" + _detail(listing))
    tree: dict[str, str] = {}
    for entry in listing.stdout.split("\0"):
        if entry:
            meta, _, path = entry.partition("\t")
            mode, kind, blob = meta.split(" ")
            if kind == "blob" and mode in _FILE_MODES:
                tree[path] = blob
    return tree


def _read_blobs(top: Path, blobs: set[str]) -> dict[str, bytes]:
    """The contents of `blobs`, in one `git cat-file --batch`."""
    if not blobs:
        return {}
    names = sorted(blobs)
    result = _run(top, ["cat-file", "--batch"], "".join(f"{name}\n" for name in names).encode())
    if result.returncode != 0:
        raise DiffError("git cat-file failed" + _detail_bytes(result.stderr))
    out, position, contents = result.stdout, 0, {}
    for name in names:
        end = out.find(b"\n", position)
        header = out[position:end].split(b" ")
        if end < 0 or len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
            raise DiffError(f"git cat-file could not read blob {name[:12]} of the base revision")
        size = int(header[2])
        contents[name] = out[end + 1 : end + 1 + size]
        position = end + 1 + size + 1  # each content is followed by a newline
    return contents


def _is_shallow(top: Path) -> bool:
    return _git(top, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def _toplevel(start: Path) -> Path:
    result = _git(start, "rev-parse", "--show-toplevel")
    if result.returncode != 0 or not result.stdout.strip():
        if "not a git repository" in result.stderr:
            raise DiffError(f"--diff-base needs a git repository: {start} is not a git repository (or inside one)")
        raise DiffError(f"--diff-base needs a git work tree at {start}" + _detail(result))
    return Path(result.stdout.rstrip("\n")).resolve()


def _git(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `git -C where args...`; output is decoded leniently, since paths hold any bytes."""
    result = _run(where, list(args), None)
    out, err = (data.decode("utf-8", "surrogateescape") for data in (result.stdout, result.stderr))
    return subprocess.CompletedProcess(result.args, result.returncode, out, err)


def _run(where: Path, args: list[str], stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
    # Optional locks off: `git diff` may refresh the index, which must not race an editor's git.
    # LC_ALL=C: git's messages in English, so "not a git repository" can be recognised.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    command = ["git", "-C", str(where), *args]
    try:
        return subprocess.run(
            command,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            check=False,
            env=env,
        )
    except FileNotFoundError:
        raise DiffError("--diff-base needs git, and no `git` command was found on PATH") from None
    except OSError as error:
        raise DiffError(f"cannot run git: {error.strerror or error}") from None


def _detail(result: subprocess.CompletedProcess[str]) -> str:
    return _detail_bytes(result.stderr.encode("utf-8", "surrogateescape"))


def _detail_bytes(stderr: bytes) -> str:
    lines = (line.strip() for line in stderr.decode("utf-8", "replace").splitlines())
    message = " ".join(line for line in lines if line)
    return f": {message}" if message else ""
