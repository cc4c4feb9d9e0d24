"""`auditor server` end to end: the installed command in a subprocess, driven over stdio as an
editor drives it, with the exact messages asserted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.api import check_source
from auditor.findings import Finding, Span
from auditor.rule import all_rules
from lsp_client import WAIT, LspClient

AUDITOR = shutil.which("auditor") or "auditor"
PUBLISH = "textDocument/publishDiagnostics"

BUFFER = (
    "import anthropic\n"
    "\n"
    'greeting = "héllo 😀"; client = anthropic.Anthropic()\n'
    'client.messages.create(model="m", max_tokens=100, messages=[])\n'
    "backup = anthropic.Anthropic(timeout=None)  # noqa: ANT401\n"
)
ON_DISK = "import anthropic\n\nclient = anthropic.Anthropic(timeout=30.0)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.py").write_text(ON_DISK, encoding="utf-8")
    return tmp_path


@pytest.fixture
def start(project: Path) -> Any:
    clients: list[LspClient] = []

    def make(*options: str) -> LspClient:
        client = LspClient([AUDITOR, "server", *options], project, project / "server.log")
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _initialize(client: LspClient, root: Path, notebooks: bool = False) -> dict[str, Any]:
    capabilities: dict[str, Any] = {
        "general": {"positionEncodings": ["utf-16"]},
        "textDocument": {
            "publishDiagnostics": {"versionSupport": True},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}},
            "synchronization": {"didSave": True},
        },
    }
    if notebooks:  # as VS Code says it
        capabilities["notebookDocument"] = {"synchronization": {"dynamicRegistration": True, "executionSummarySupport": True}}
    result: dict[str, Any] = client.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities})
    client.notify("initialized", {})
    return result


def _range(line: int, start: int, end_line: int, end: int) -> dict[str, Any]:
    return {"start": {"line": line, "character": start}, "end": {"line": end_line, "character": end}}


def _diagnostic(code: str, severity: int, where: dict[str, Any], message: str) -> dict[str, Any]:
    return {"range": where, "message": message, "severity": severity, "code": code, "source": "auditor"}


def _told(finding: Finding, note: str = "") -> str:
    """A diagnostic's message: the diagnosis (and a notebook's cell note), then the help on a line of its own."""
    return f"{finding.message}{note}" + (f"\n{finding.help}" if finding.help is not None else "")


def _message(source: str, code: str, line: int) -> str:
    """What `auditor check` says there: the server must say the same."""
    return next(_told(f) for f in check_source(source) if f.code == code and f.span.line == line)


def _change(uri: str, version: int, *changes: dict[str, Any]) -> dict[str, Any]:
    params = {"textDocument": {"uri": uri, "version": version}, "contentChanges": list(changes)}
    return {"method": "textDocument/didChange", "params": params}


def test_an_editor_session(project: Path, start: Any) -> None:
    client = start()
    capabilities = _initialize(client, project)["capabilities"]
    assert capabilities["positionEncoding"] == "utf-16"
    assert capabilities["textDocumentSync"] == {"openClose": True, "change": 2, "save": True}
    assert capabilities["hoverProvider"] is True
    assert capabilities["codeActionProvider"] == {"codeActionKinds": ["quickfix"]}
    uri = (project / "app.py").as_uri()

    # Open an unsaved buffer: the file on disk has no finding, the buffer has two. On line 2,
    # the emoji before the client is two UTF-16 units: code points 31-52 are characters 32-53.
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BUFFER}})
    ant401 = _diagnostic("ANT401", 2, _range(2, 32, 2, 53), _message(BUFFER, "ANT401", 3))
    backup_ant402 = _diagnostic("ANT402", 1, _range(4, 37, 4, 41), _message(BUFFER, "ANT402", 5))
    assert client.expect(PUBLISH) == {"uri": uri, "version": 1, "diagnostics": [ant401, backup_ant402]}

    # The diagnosis, then the advice on a line of its own: editors show both.
    diagnosis = "Anthropic() and the call on line 4 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s"
    advice = "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call"
    assert ant401["message"] == f"{diagnosis}\n{advice}"

    # Hover over the flagged client: the finding and its help, then the rule's documentation.
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 40}})
    documentation = all_rules()["ANT401"].documentation()
    assert hover == {
        "contents": {
            "kind": "markdown",
            "value": f"**ANT401** `client-without-timeout` (warning)\n\n{diagnosis}\n\nhelp: {advice}\n\n---\n\n{documentation}",
        }
    }
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 3}}) is None

    # Code actions over the whole buffer: a new comment on line 2, an addition to line 4's noqa.
    actions = client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": _range(0, 0, 5, 0), "context": {"diagnostics": [ant401, backup_ant402]}},
    )
    suppress_backup = {uri: [{"range": _range(4, 58, 4, 58), "newText": ", ANT402"}]}
    assert actions == [
        {
            "title": "Add `timeout=600.0` to `Anthropic()`",
            "kind": "quickfix",
            "diagnostics": [ant401],
            "edit": {"changes": {uri: [{"range": _range(2, 52, 2, 52), "newText": "timeout=600.0"}]}},
        },
        {
            "title": "Suppress ANT401 on this line",
            "kind": "quickfix",
            "diagnostics": [ant401],
            "edit": {"changes": {uri: [{"range": _range(2, 53, 2, 53), "newText": "  # auditor: ignore[ANT401]"}]}},
        },
        {
            "title": "Replace `timeout=None` with `timeout=600.0`",
            "kind": "quickfix",
            "diagnostics": [backup_ant402],
            "edit": {"changes": {uri: [{"range": _range(4, 37, 4, 41), "newText": "600.0"}]}},
        },
        {"title": "Suppress ANT402 on this line", "kind": "quickfix", "diagnostics": [backup_ant402], "edit": {"changes": suppress_backup}},
    ]

    # Type `timeout=None` into the call (positions in UTF-16): ANT401 goes, ANT402 comes.
    client.send(_change(uri, 2, {"range": _range(2, 52, 2, 52), "text": "timeout=None"}))
    version_2 = BUFFER.replace("Anthropic()\n", "Anthropic(timeout=None)\n")
    client_ant402 = _diagnostic("ANT402", 1, _range(2, 60, 2, 64), _message(version_2, "ANT402", 3))
    assert client.expect(PUBLISH) == {"uri": uri, "version": 2, "diagnostics": [client_ant402, backup_ant402]}
    [fix_client, suppress_client] = client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": _range(2, 61, 2, 61), "context": {"diagnostics": [client_ant402]}},
    )
    assert fix_client["edit"] == {"changes": {uri: [{"range": _range(2, 60, 2, 64), "newText": "600.0"}]}}
    assert suppress_client["edit"] == {"changes": {uri: [{"range": _range(2, 65, 2, 65), "newText": "  # auditor: ignore[ANT402]"}]}}

    # Apply both suppressions as two quick edits: only the newest version is checked and published.
    edits = [suppress_backup[uri][0], suppress_client["edit"]["changes"][uri][0]]
    client.send_all([_change(uri, version, {"range": e["range"], "text": e["newText"]}) for version, e in enumerate(edits, 3)])
    assert client.expect(PUBLISH) == {"uri": uri, "version": 4, "diagnostics": []}
    assert client.quiet_for(1.0) == []

    # Saving checks again at once (nothing else could publish now).
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    assert client.expect(PUBLISH) == {"uri": uri, "version": 4, "diagnostics": []}

    # A buffer that does not parse: ANT000 where `auditor check` puts it, and no suppress action.
    broken = "import anthropic\nclient = anthropic.Anthropic(\n"
    client.send(_change(uri, 5, {"text": broken}))
    ant000 = _diagnostic("ANT000", 1, _range(1, 28, 1, 28), _message(broken, "ANT000", 2))
    assert ant000["message"] == (
        "syntax error: '(' was never closed\n"
        "Fix the file, or stop checking it: `extend-exclude` leaves it out, `per-file-ignores` silences ANT000 for it"
    )
    assert client.expect(PUBLISH) == {"uri": uri, "version": 5, "diagnostics": [ant000]}
    code_action = {"textDocument": {"uri": uri}, "range": _range(1, 28, 1, 28), "context": {"diagnostics": [ant000]}}
    assert client.request("textDocument/codeAction", code_action) is None
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 28}})
    assert hover["contents"]["value"].startswith(
        "**ANT000** `parse-error` (error)\n\nsyntax error: '(' was never closed\n\nhelp: Fix the file, or stop checking it: "
        "`extend-exclude` leaves it out, `per-file-ignores` silences ANT000 for it\n\n---\n\n"
    )

    # A buffer that would segfault the parser (10,000 chained `and`s): refused with ANT000 in
    # the analysis worker, and the server goes on checking the next version.
    hostile = "import anthropic\nx = " + " and ".join(["a"] * 10_000) + "\n"
    client.send(_change(uri, 6, {"text": hostile}))
    [refused] = client.expect(PUBLISH)["diagnostics"]
    assert (refused["code"], refused["range"]["start"]) == ("ANT000", {"line": 1, "character": 0})
    client.send(_change(uri, 7, {"text": broken}))
    assert client.expect(PUBLISH) == {"uri": uri, "version": 7, "diagnostics": [ant000]}

    # Closing clears the document's diagnostics.
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.expect(PUBLISH) == {"uri": uri, "diagnostics": []}

    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.wait() == 0
    client.end_of_output()
    assert (project / "server.log").read_text(encoding="utf-8") == ""  # nothing went wrong, nothing logged
    assert (project / "app.py").read_text(encoding="utf-8") == ON_DISK  # the server never writes files
    assert [n["method"] for n in client.notifications if n.get("method") != PUBLISH] == []


def test_exit_without_shutdown_exits_1(project: Path, start: Any) -> None:
    client = start()
    _initialize(client, project)
    client.notify("exit", None)
    assert client.wait() == 1
    client.end_of_output()


def test_the_server_ends_when_the_editor_goes_away(project: Path, start: Any) -> None:
    """An editor that dies closes the pipe without shutdown or exit: the server must not linger."""
    client = start()
    _initialize(client, project)
    assert client.process.stdin is not None
    client.process.stdin.close()
    assert client.wait() == 1
    client.end_of_output()


def test_logs_go_to_stderr_and_only_protocol_to_stdout(project: Path, start: Any) -> None:
    client = start("--log-level", "debug")
    _initialize(client, project)
    uri = (project / "app.py").as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BUFFER}})
    assert [d["code"] for d in client.expect(PUBLISH)["diagnostics"]] == ["ANT401", "ANT402"]
    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.wait() == 0
    client.end_of_output()  # every byte on stdout was a well-formed frame (the reader checks)
    log = (project / "server.log").read_text(encoding="utf-8")
    assert "auditor server: DEBUG: Notification 'textDocument/didOpen' received" in log.splitlines()


def test_the_configuration_of_each_path_applies(project: Path, start: Any) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.auditor]\nselect = ["ANT4"]\nextend-exclude = ["generated"]\n\n'
        '[tool.auditor.per-file-ignores]\n"legacy/*" = ["ANT401"]\n',
        encoding="utf-8",
    )
    for folder in ("legacy", "generated", "sub", "broken"):
        (project / folder).mkdir()
    (project / "sub" / "auditor.toml").write_text('select = ["ANT1"]\n', encoding="utf-8")
    (project / "broken" / "auditor.toml").write_text("select = 3\n", encoding="utf-8")
    # ANT101 (a long non-streamed request) and ANT401 (a client without a timeout) on line 2.
    text = 'import anthropic\nclient = anthropic.Anthropic()\nclient.messages.create(model="m", max_tokens=8000, messages=[])\n'
    client = start()
    _initialize(client, project)
    uris = {}
    for name, language in (("README.md", "markdown"), ("app.py", "python"), ("legacy/old.py", "python"), ("generated/gen.py", "python"), ("sub/x.py", "python"), ("broken/y.py", "python")):
        uris[name] = (project / name).as_uri()
        document = {"uri": uris[name], "languageId": language, "version": 1, "text": text}
        client.notify("textDocument/didOpen", {"textDocument": document})
    # A new unsaved buffer of another language is not Python either.
    client.notify("textDocument/didOpen", {"textDocument": {"uri": "untitled:Untitled-1", "languageId": "markdown", "version": 1, "text": text}})
    published = {}
    while len(published) < 5:
        params = client.expect(PUBLISH)
        published[params["uri"]] = [(d["code"], d["range"]["start"]["line"]) for d in params["diagnostics"]]
    assert published == {
        uris["app.py"]: [("ANT401", 1)],  # ANT101 is not selected
        uris["legacy/old.py"]: [],  # per-file-ignores
        uris["generated/gen.py"]: [],  # excluded
        uris["sub/x.py"]: [("ANT101", 2)],  # the nearest configuration file wins
        uris["broken/y.py"]: [],  # its configuration is broken: said once, below
    }
    [message] = [n["params"] for n in client.notifications if n["method"] == "window/showMessage"]
    assert message == {"type": 1, "message": "auditor: broken/auditor.toml: select: expected a list of strings, got 3"}
    assert client.quiet_for(0.5) == []  # the Markdown documents were never checked
    client.send(_change(uris["broken/y.py"], 2, {"text": text + "\n"}))
    assert client.expect(PUBLISH) == {"uri": uris["broken/y.py"], "version": 2, "diagnostics": []}
    assert len([n for n in client.notifications if n["method"] == "window/showMessage"]) == 1  # not at each keystroke
    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.wait() == 0


def test_without_pygls_the_command_names_the_extra(project: Path) -> None:
    hide_pygls = "import sys; sys.modules['pygls'] = None; from auditor.cli import main; main(['server'])"
    run = subprocess.run([sys.executable, "-c", hide_pygls], cwd=project, capture_output=True, text=True, timeout=WAIT)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "auditor: error: auditor server needs pygls: pip install 'auditor[lsp]'\n"


def test_check_does_not_import_pygls(project: Path) -> None:
    script = (
        "import sys\nfrom auditor.cli import main\n"
        "try:\n    main(['check', 'app.py', '--no-cache', '-q'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pygls', 'lsprotocol', 'auditor.lsp_server') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True, timeout=WAIT)
    assert (run.returncode, run.stdout.splitlines()[-1]) == (0, "[]")


# --- notebooks -------------------------------------------------------------------------------

# A notebook as VS Code holds it: a markdown cell, then three Python cells. The client is built in
# cell 2 with timeout=None (behind an emoji: two UTF-16 units), after a `%pip` magic and beside a
# suppressed finding; cell 3 has a `?` help line; the call in cell 4 goes through cell 2's client.
CELLS = [
    ("markdown", "# Demo\nA client with `timeout=None`.\n"),
    (
        "python",
        "%pip install anthropic\nimport anthropic\n\n"
        'label = "😀"; client = anthropic.Anthropic(timeout=None)\n'
        "backup = anthropic.Anthropic()  # noqa: ANT401\n",
    ),
    ("python", 'anthropic.Anthropic?\nprompt = "Write a long story"\n'),
    (
        "python",
        "try:\n"
        '    response = client.messages.create(model="m", max_tokens=32000, messages=[{"role": "user", "content": prompt}])\n'
        "except anthropic.APIError:\n    raise\n"
        "except anthropic.RateLimitError:\n    raise\n",
    ),
]
NEW_CELL = 'other = anthropic.Anthropic()\nother.messages.create(model="m", max_tokens=100, messages=[])\n'


def _notebook_json(cells: list[tuple[str, str]]) -> str:
    """The .ipynb file holding `cells`, as Jupyter writes it."""
    made = []
    for language, text in cells:
        cell: dict[str, Any] = {"cell_type": "markdown" if language == "markdown" else "code", "metadata": {}, "source": text.splitlines(keepends=True)}
        if language != "markdown":
            cell.update(execution_count=None, outputs=[])
        made.append(cell)
    document = {"cells": made, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _said(cells: list[tuple[str, str]], code: str) -> str:
    """What `auditor check` says of the notebook file holding `cells`: the server must say the same."""
    return next(_told(f) for f in check_source(_notebook_json(cells), path="demo.ipynb") if f.code == code)


def _cell_uri(path: Path, number: int) -> str:
    """A cell URI as VS Code makes them: the notebook's path, a percent-encoded fragment."""
    return f"vscode-notebook-cell:{path.as_posix()}#W{number}sZmlsZQ%3D%3D"


def _notebook_change(uri: str, version: int, cells: dict[str, Any]) -> dict[str, Any]:
    return {"method": "notebookDocument/didChange", "params": {"notebookDocument": {"uri": uri, "version": version}, "change": {"cells": cells}}}


def _text_change(uri: str, version: int, where: dict[str, Any], text: str) -> dict[str, Any]:
    return {"document": {"uri": uri, "version": version}, "changes": [{"range": where, "text": text}]}


def _published(client: LspClient, count: int) -> list[tuple[str, Any, list[dict[str, Any]]]]:
    """The next `count` publications, as (uri, version, diagnostics)."""
    return [(p["uri"], p.get("version"), p["diagnostics"]) for p in (client.expect(PUBLISH) for _ in range(count))]


def test_a_notebook_session(project: Path, start: Any) -> None:
    client = start()
    capabilities = _initialize(client, project, notebooks=True)["capabilities"]
    assert capabilities["notebookDocumentSync"] == {"notebookSelector": [{"notebook": "jupyter-notebook"}], "save": True}
    notebook = project / "demo.ipynb"
    uri = notebook.as_uri()
    c1, c2, c3, c4, c5 = (_cell_uri(notebook, n) for n in range(1, 6))
    cells = [{"kind": 1 if language == "markdown" else 2, "document": cell} for cell, (language, _) in zip((c1, c2, c3, c4), CELLS)]
    documents = [{"uri": cell, "languageId": language, "version": 1, "text": text} for cell, (language, text) in zip((c1, c2, c3, c4), CELLS)]
    client.notify(
        "notebookDocument/didOpen",
        {"notebookDocument": {"uri": uri, "notebookType": "jupyter-notebook", "version": 0, "cells": cells}, "cellTextDocuments": documents},
    )

    # Each Python cell gets the findings inside it, in its own lines and UTF-16 columns. Cell 2's
    # client is the one cell 4 calls: its fix's timeout fits that call's 32,000 tokens.
    ant402 = _diagnostic("ANT402", 1, _range(3, 51, 3, 55), _said(CELLS, "ANT402"))
    ant101 = _diagnostic("ANT101", 2, _range(1, 15, 1, 114), _said(CELLS, "ANT101"))
    ant201 = _diagnostic("ANT201", 1, _range(4, 7, 4, 31), _said(CELLS, "ANT201"))
    shadowed = "`except anthropic.RateLimitError` can never run: the `except anthropic.APIError` on line 3 of cell 4 catches it first"
    assert ant201["message"] == f"{shadowed}\nMove the specific handler above the broad one"
    assert _published(client, 3) == [(c2, 1, [ant402]), (c3, 1, []), (c4, 1, [ant101, ant201])]

    # Code actions in a cell: the fix and the suppression edit that cell.
    actions = client.request("textDocument/codeAction", {"textDocument": {"uri": c2}, "range": _range(3, 52, 3, 52), "context": {"diagnostics": [ant402]}})
    assert actions == [
        {
            "title": "Replace `timeout=None` with `timeout=900.0`",
            "kind": "quickfix",
            "diagnostics": [ant402],
            "edit": {"changes": {c2: [{"range": _range(3, 51, 3, 55), "newText": "900.0"}]}},
        },
        {
            "title": "Suppress ANT402 on this line",
            "kind": "quickfix",
            "diagnostics": [ant402],
            "edit": {"changes": {c2: [{"range": _range(3, 56, 3, 56), "newText": "  # auditor: ignore[ANT402]"}]}},
        },
    ]
    [stream, suppress_101] = client.request("textDocument/codeAction", {"textDocument": {"uri": c4}, "range": _range(1, 20, 1, 20), "context": {"diagnostics": [ant101]}})
    assert stream["title"] == "Stream it: `with ....stream(...) as stream:` and `stream.get_final_message()`"
    [stream_edit] = stream["edit"]["changes"][c4]
    assert stream_edit == {
        "range": _range(1, 4, 1, 113),
        "newText": 'with client.messages.stream(model="m", max_tokens=32000, messages=[{"role": "user", "content": prompt}]) as stream:\n'
        "        response = stream.get_final_message(",
    }
    assert suppress_101["edit"] == {"changes": {c4: [{"range": _range(1, 114, 1, 114), "newText": "  # auditor: ignore[ANT101]"}]}}
    hover = client.request("textDocument/hover", {"textDocument": {"uri": c4}, "position": {"line": 4, "character": 10}})
    documentation = all_rules()["ANT201"].documentation()
    assert hover["contents"]["value"] == (
        f"**ANT201** `shadowed-exception-handler` (error)\n\n{shadowed}\n\nhelp: Move the specific handler above the broad one\n\n---\n\n{documentation}"
    )

    # Type in cell 2, twice quickly: one check of the newest text. With a 60 s timeout, ANT402
    # goes and ANT101 stays.
    typed = [_text_change(c2, 2, _range(3, 51, 3, 55), "60.0"), _text_change(c2, 3, _range(3, 51, 3, 55), "30.0")]
    client.send_all([_notebook_change(uri, version, {"textContent": [change]}) for version, change in enumerate(typed, 1)])
    cells_30 = [CELLS[0], ("python", CELLS[1][1].replace("None", "30.0")), *CELLS[2:]]
    ant101_30 = _diagnostic("ANT101", 2, _range(1, 15, 1, 114), _said(cells_30, "ANT101"))
    assert _published(client, 3) == [(c2, 3, []), (c3, 1, []), (c4, 1, [ant101_30, ant201])]
    assert client.quiet_for(1.0) == []

    # Add a cell after cell 2 (a client without a timeout, and its call): cell 4 is now cell 5.
    added = {"array": {"start": 2, "deleteCount": 0, "cells": [{"kind": 2, "document": c5}]}, "didOpen": [{"uri": c5, "languageId": "python", "version": 1, "text": NEW_CELL}]}
    client.send(_notebook_change(uri, 3, {"structure": added}))
    cells_added = [*cells_30[:2], ("python", NEW_CELL), *cells_30[2:]]
    ant401 = _diagnostic("ANT401", 2, _range(0, 8, 0, 29), _said(cells_added, "ANT401"))
    ant201_5 = _diagnostic("ANT201", 1, _range(4, 7, 4, 31), _said(cells_added, "ANT201"))
    assert ("the call on line 2 of cell 3 set no timeout" in ant401["message"], "on line 3 of cell 5" in ant201_5["message"]) == (True, True)
    assert _published(client, 4) == [(c2, 3, []), (c5, 1, [ant401]), (c3, 1, []), (c4, 1, [ant101_30, ant201_5])]

    # Move the markdown cell to the end (a move opens and closes no document): every cell's
    # number goes down by one, and the messages that name cells say so.
    moved = {"array": {"start": 0, "deleteCount": 5, "cells": [{"kind": 2, "document": c} for c in (c2, c5, c3, c4)] + [{"kind": 1, "document": c1}]}}
    client.send(_notebook_change(uri, 4, {"structure": moved}))
    cells_moved = [*cells_added[1:], cells_added[0]]
    ant401_2 = _diagnostic("ANT401", 2, _range(0, 8, 0, 29), _said(cells_moved, "ANT401"))
    ant201_4 = _diagnostic("ANT201", 1, _range(4, 7, 4, 31), _said(cells_moved, "ANT201"))
    assert ("the call on line 2 of cell 2 set no timeout" in ant401_2["message"], ant201_4["message"]) == (True, ant201["message"])
    assert _published(client, 4) == [(c2, 3, []), (c5, 1, [ant401_2]), (c3, 1, []), (c4, 1, [ant101_30, ant201_4])]

    # Remove the new cell: its diagnostics are cleared, the others checked again.
    removed = {"array": {"start": 1, "deleteCount": 1}, "didClose": [{"uri": c5}]}
    client.send(_notebook_change(uri, 5, {"structure": removed}))
    cells_removed = [cells_moved[0], *cells_moved[2:]]
    ant201_3 = _diagnostic("ANT201", 1, _range(4, 7, 4, 31), _said(cells_removed, "ANT201"))
    assert "on line 3 of cell 3" in ant201_3["message"]
    assert _published(client, 4) == [(c5, None, []), (c2, 3, []), (c3, 1, []), (c4, 1, [ant101_30, ant201_3])]

    # A cell that would segfault the parser costs the notebook its findings, not the server its life.
    hostile = "x = " + " and ".join(["a"] * 10_000) + "\n"
    client.send(_notebook_change(uri, 6, {"textContent": [{"document": {"uri": c3, "version": 2}, "changes": [{"text": hostile}]}]}))
    refused = _diagnostic("ANT000", 1, _range(0, 0, 0, 0), _said([cells_removed[0], ("python", hostile), *cells_removed[2:]], "ANT000"))
    assert refused["message"].startswith("an expression nested or chained deeper than 1,000 levels")
    assert _published(client, 3) == [(c2, 3, []), (c3, 2, [refused]), (c4, 1, [])]
    client.send(_notebook_change(uri, 7, {"textContent": [{"document": {"uri": c3, "version": 3}, "changes": [{"text": CELLS[2][1]}]}]}))
    assert _published(client, 3) == [(c2, 3, []), (c3, 3, []), (c4, 1, [ant101_30, ant201_3])]

    # Saving checks again at once; closing clears every cell's diagnostics.
    client.notify("notebookDocument/didSave", {"notebookDocument": {"uri": uri}})
    assert _published(client, 3) == [(c2, 3, []), (c3, 3, []), (c4, 1, [ant101_30, ant201_3])]
    client.notify("notebookDocument/didClose", {"notebookDocument": {"uri": uri}, "cellTextDocuments": [{"uri": c} for c in (c2, c3, c4, c1)]})
    assert _published(client, 3) == [(c2, None, []), (c3, None, []), (c4, None, [])]
    assert client.quiet_for(0.5) == []

    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.wait() == 0
    client.end_of_output()
    assert (project / "server.log").read_text(encoding="utf-8") == ""
    assert not notebook.exists()  # the server never writes files


def test_a_notebook_opened_as_text(project: Path, start: Any) -> None:
    """A `.ipynb` opened as a plain text document is its JSON: checked as `auditor check` checks
    the file, each diagnostic on the JSON line that holds the code and naming the cell."""
    text = _notebook_json(CELLS)  # the emoji is written as is: two UTF-16 units in the JSON text too
    uri = (project / "demo.ipynb").as_uri()
    lines = text.split("\n")

    def utf16(line: int, column: int) -> int:
        return len(lines[line - 1][: column - 1].encode("utf-16-le")) // 2

    expected = []
    for finding in check_source(text, path="demo.ipynb"):
        span = finding.file_span
        where = _range(span.line - 1, utf16(span.line, span.column), span.end_line - 1, utf16(span.end_line, span.end_column))
        expected.append(_diagnostic(finding.code, 1 if finding.severity.value == "error" else 2, where, _told(finding, f" ({finding.cell_label})")))
    timeout_line = lines[expected[0]["range"]["start"]["line"]]
    assert timeout_line == '    "label = \\"😀\\"; client = anthropic.Anthropic(timeout=None)\\n",'
    assert expected[0]["range"] == _range(17, 58, 17, 62)  # `None`: code points 57-60, UTF-16 units 58-61
    client = start()
    _initialize(client, project)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}})
    published = client.expect(PUBLISH)
    assert [d["message"].split("\n")[0].rsplit(" (", 1)[1] for d in published["diagnostics"]] == ["cell 2:4:51)", "cell 4:2:16)", "cell 4:5:8)"]
    assert published["diagnostics"][0]["message"] == (
        "timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever (cell 2:4:51)\n"
        "Set a finite timeout such as timeout=60.0, and stream long generations"
    )
    assert published == {"uri": uri, "version": 1, "diagnostics": expected}
    # No code action: its edits would have to go inside JSON strings.
    code_action = {"textDocument": {"uri": uri}, "range": expected[0]["range"], "context": {"diagnostics": expected[:1]}}
    assert client.request("textDocument/codeAction", code_action) is None
    # Half-typed JSON: ANT000 where the JSON breaks, and the server goes on.
    half = text[: text.index("anthropic.Anthropic(timeout=None)")]
    [error] = check_source(half, path="demo.ipynb")
    assert (error.code, error.message, error.span) == ("ANT000", "not a valid notebook: invalid JSON: Unterminated string starting at", Span(18, 5, 18, 5))
    client.send(_change(uri, 2, {"text": half}))
    assert client.expect(PUBLISH) == {"uri": uri, "version": 2, "diagnostics": [_diagnostic("ANT000", 1, _range(17, 4, 17, 4), _told(error))]}
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.expect(PUBLISH) == {"uri": uri, "diagnostics": []}
    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.wait() == 0
