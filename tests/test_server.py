"""`auditor server` end to end: the installed command in a subprocess, driven over stdio as an
editor drives it, with the exact messages asserted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.api import check_source
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


def _initialize(client: LspClient, root: Path) -> dict[str, Any]:
    result: dict[str, Any] = client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {
                    "publishDiagnostics": {"versionSupport": True},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}},
                    "synchronization": {"didSave": True},
                },
            },
        },
    )
    client.notify("initialized", {})
    return result


def _range(line: int, start: int, end_line: int, end: int) -> dict[str, Any]:
    return {"start": {"line": line, "character": start}, "end": {"line": end_line, "character": end}}


def _diagnostic(code: str, severity: int, where: dict[str, Any], message: str) -> dict[str, Any]:
    return {"range": where, "message": message, "severity": severity, "code": code, "source": "auditor"}


def _message(source: str, code: str, line: int) -> str:
    """What `auditor check` says there: the server must say the same."""
    return next(f.message for f in check_source(source) if f.code == code and f.span.line == line)


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

    # Hover over the flagged client: the finding, then the rule's documentation.
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 40}})
    documentation = all_rules()["ANT401"].documentation()
    assert hover == {
        "contents": {
            "kind": "markdown",
            "value": f"**ANT401** `client-without-timeout` (warning)\n\n{ant401['message']}\n\n---\n\n{documentation}",
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
    assert ant000["message"] == "syntax error: '(' was never closed"
    assert client.expect(PUBLISH) == {"uri": uri, "version": 5, "diagnostics": [ant000]}
    code_action = {"textDocument": {"uri": uri}, "range": _range(1, 28, 1, 28), "context": {"diagnostics": [ant000]}}
    assert client.request("textDocument/codeAction", code_action) is None
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 28}})
    assert hover["contents"]["value"].startswith("**ANT000** `parse-error` (error)\n\nsyntax error: '(' was never closed\n\n---\n\n")

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
    assert client.quiet_for(0.5) == []  # the Markdown document was never checked
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
