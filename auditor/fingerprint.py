"""Line-independent fingerprints: rule, path and the flagged code's own text, never its line.

The baseline, SARIF's `partialFingerprints` and GitLab's `fingerprint` all use this one function,
so a finding keeps its identity when lines are inserted above it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from auditor.findings import Finding


def fingerprint(finding: Finding, root: Path | None = None) -> str:
    """Rule, root-relative path and the flagged code with its enclosing function, hashed."""
    from auditor.renderers.json_format import relative_path

    text = "\x1f".join((finding.code, relative_path(finding.path, root), finding.context))
    # surrogatepass: a file name that is not UTF-8 reaches here as lone surrogates (os.fsdecode).
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
