"""SARIF 2.1.0, the format GitHub code scanning (and most security dashboards) ingest.

One run; paths are relative to `%SRCROOT%` (the project root; under GitHub Actions the checkout,
`GITHUB_WORKSPACE`, by whose paths code scanning places results) so the file stays valid when the
checkout moves, and each result carries the line-independent fingerprint so code scanning keeps
an alert's identity when lines are inserted above it.

A finding in a Jupyter notebook points at the `.ipynb` file's own text, the JSON line and
columns that hold the flagged code, since that is what a viewer opens; the message ends with
`(cell 3:2:5)` and the result's properties carry `cell` and `cellRegion` (the region inside the
cell). Its fix, if any, is left out: a replacement in the JSON text would need JSON escaping.

A result's `message.text` is the diagnosis and the rule's advice, each as a sentence ending in a
period ("... waits forever. Set a finite timeout ..."): code scanning shows that one text with
the alert, and SARIF asks for messages in complete sentences, so the advice the terminal prints
on its `help:` line is not lost there, and stays on the same paragraph, as a reader expects.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import auditor
from auditor import rule as rule_registry
from auditor.findings import Finding, Severity, Span, printable_path
from auditor.fingerprint import fingerprint
from auditor.renderers import RunResult, cell_note
from auditor.renderers.json_format import host_root, relative_path

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# The page a SARIF viewer links the tool name to.
INFORMATION_URI = "https://pypi.org/project/auditor/"
SRCROOT = "%SRCROOT%"
# Key of partialFingerprints: bump the version if auditor.fingerprint ever changes its algorithm,
# so code scanning does not match old and new fingerprints against each other.
FINGERPRINT_KEY = "auditor/v1"

_LEVELS: dict[Severity, str] = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def _level(severity: Severity) -> str:
    return _LEVELS.get(severity, "note")


def _what_it_does(documentation: str) -> str:
    """The "What it does" section as one paragraph of text, else the documentation's first
    paragraph: a full description longer than the summary but shorter than the help."""
    match = re.search(r"^## What it does[ \t]*\n(.*?)(?=^## |\Z)", documentation, re.M | re.S)
    text = match.group(1) if match else documentation
    paragraph = text.strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _rule_descriptor(code: str, example: Finding) -> dict[str, Any]:
    """A reportingDescriptor from the registry; from the finding itself if the code is unknown."""
    rule = rule_registry.all_rules().get(code)
    if rule is None:
        return {
            "id": code,
            "name": example.name,
            "defaultConfiguration": {"level": _level(example.severity)},
        }
    documentation = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _what_it_does(documentation)},
        # The docs are markdown meant to be read as is, so the same text serves as plain text.
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": _level(rule.severity)},
        # SARIF has no word for fix safety: "safe", "unsafe" (needs --unsafe-fixes) or "none".
        "properties": {"fix": rule.fix_safety or "none"},
    }


def _sentences(finding: Finding) -> str:
    """`diagnosis (cell 3:2:5). Help.`: each part a sentence ending in a period."""
    parts = [finding.message + cell_note(finding), *([finding.help] if finding.help else [])]
    return " ".join(part if part.endswith((".", "!", "?")) else part + "." for part in parts)


def _region(span: Span) -> dict[str, int]:
    # SARIF's endColumn is "the column following the region": end exclusive, as our spans are.
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _artifact_location(path: str) -> dict[str, str]:
    # A URI reference: percent-encode spaces and the like, keep the slashes. Encoded from the
    # name's bytes, so a byte that is not UTF-8 (a lone surrogate here) is `%FF`, as in file URIs.
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no byte maps to (Windows): its printable spelling
        raw = printable_path(path).encode("utf-8")
    return {"uri": quote(raw, safe="/"), "uriBaseId": SRCROOT}


def _result(finding: Finding, rule_index: int, path: str, root: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _level(finding.severity),
        "message": {"text": _sentences(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(path),
                    "region": _region(finding.file_span),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, root)},
    }
    if finding.cell is not None:
        result["properties"] = {"cell": finding.cell.number, "cellRegion": _region(finding.cell.span)}
    elif finding.fix is not None:
        result["fixes"] = [
            {
                "description": {"text": finding.fix.message},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact_location(path),
                        "replacements": [
                            {
                                "deletedRegion": _region(edit.span),
                                "insertedContent": {"text": edit.content},
                            }
                            for edit in sorted(finding.fix.edits, key=lambda e: e.span)
                        ],
                    }
                ],
                # SARIF has no notion of a safe fix; a property bag keeps it for tools that care.
                "properties": {"safe": finding.fix.safe},
            }
        ]
    return result


def _root_uri(root: Path) -> str:
    # originalUriBaseIds URIs must end with a slash to act as a base.
    uri = root.absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def render_sarif(result: RunResult) -> str:
    """The SARIF log as indented JSON.

    `rules` lists only the rules that have results, in code order: ruleIndex points into it,
    viewers need descriptors only for rules they show, and the file neither grows with the
    registry nor changes when an unrelated rule's docs are edited.
    """
    findings = sorted(result.findings, key=lambda f: f.sort_key)
    examples: dict[str, Finding] = {}
    for finding in findings:
        examples.setdefault(finding.code, finding)
    codes = sorted(examples)
    rules = [_rule_descriptor(code, examples[code]) for code in codes]
    index = {code: i for i, code in enumerate(codes)}
    # Code scanning places results by repository-relative paths: under GitHub Actions %SRCROOT% is
    # the checkout; fingerprints stay relative to the project root.
    base = host_root(result.root, "GITHUB_WORKSPACE")
    results = [
        _result(finding, index[finding.code], relative_path(finding.path, base), result.root)
        for finding in findings
    ]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "auditor",
                        "version": auditor.__version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(base)}},
                # Columns count Python str characters (code points), not SARIF's default UTF-16.
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
