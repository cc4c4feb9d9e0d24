"""JUnit XML, for CI systems that show test reports but nothing lint-specific (GitLab's test
report, Jenkins, Azure Pipelines, and the GitHub test-reporter actions).

Layout: one `<testsuite name="auditor">`; one `<testcase>` per finding, with classname = the file
and name = "CODE rule-name (line:col)". A testcase per finding rather than per file, because
reporters show one failure per testcase, and GitLab keys a case by suite, classname and name and
keeps only one case per key: so the name carries the position to keep two findings of one rule
in one file apart. The `file` and `line` attributes (as pytest writes them) let reporters that
annotate source jump to the finding. For a notebook the name and the text give the place as
`cell 3:2:5` (cell, line and column inside it) and `line` is the line of the `.ipynb` file's
own text, where a reporter that opens the file finds that code. The failure's `message` is the
diagnosis (reporters show it as the one-line title); its text adds the advice on a `help:` line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from auditor.findings import Finding
from auditor.renderers import HELP_LINE, RunResult
from auditor.renderers.json_format import report_path

SUITE_NAME = "auditor"
# Characters XML 1.0 cannot carry at all, even escaped: a message quoting odd source text must
# not make the whole report unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _testcase(finding: Finding, path: str) -> ET.Element:
    span = finding.span
    where = finding.cell_label or f"{span.line}:{span.column}"
    case = ET.Element(
        "testcase",
        {
            "classname": _xml_text(path),
            "name": _xml_text(f"{finding.code} {finding.name} ({where})"),
            "file": _xml_text(path),
            "line": str(finding.file_span.line),
        },
    )
    failure = ET.SubElement(
        case, "failure", {"message": _xml_text(finding.message), "type": finding.code}
    )
    failure.text = _xml_text(f"{path}:{where}: {finding.code} {finding.explained(HELP_LINE)}")
    return case


def render_junit(result: RunResult) -> str:
    """The report, with an XML declaration; a clean run that checked files gets one passing case
    so reporters show a green run rather than "no tests"."""
    findings = sorted(result.findings, key=lambda f: f.sort_key)
    cases = [_testcase(f, report_path(f.path, result.root)) for f in findings]
    if not cases and result.files_checked > 0:
        cases = [ET.Element("testcase", {"classname": SUITE_NAME, "name": "No problems found"})]
    counts = {"tests": str(len(cases)), "failures": str(len(findings)), "errors": "0"}
    suites = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": SUITE_NAME, **counts, "skipped": "0"})
    suite.extend(cases)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
