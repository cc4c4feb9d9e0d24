"""`auditor server`: a language server over stdio, on pygls.

Each open Python document is checked from the editor's buffer, not from disk, with the settings
that apply to its path: on open and save at once, on change after a pause (the newest text
wins: a check whose document changed meanwhile is dropped). Checks run one at a time on a worker
thread, so the server keeps answering hovers and code actions while one runs.

stdout carries protocol messages only: the process's file descriptor 1 is pointed at stderr
before anything else runs, and pygls writes to a private copy of the original.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from auditor import __version__
from auditor.api import analysis_supervisor, check_text
from auditor.config import ConfigError, ConfigResolver
from auditor.discovery import PYTHON_SUFFIXES, is_excluded
from auditor.findings import Finding
from auditor.lsp_convert import code_actions, contains, diagnostic, hover_text, overlaps, split_lines
from auditor.rule import all_rules, is_known_selector

DEBOUNCE_SECONDS = 0.3

log = logging.getLogger("auditor.server")


@dataclass(frozen=True)
class Checked:
    """The findings published for one version of a document, with their diagnostics."""

    version: int | None
    source: str
    shown: list[tuple[Finding, types.Diagnostic]]


class AuditorServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("auditor", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditor-check")
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.checked: dict[str, Checked] = {}
        self.shutdown_requested = False
        self.config_errors: set[str] = set()
        # One analysis worker process, started on first use and kept: a buffer that crashes the
        # parser kills it, not the server, and it is replaced. Spawned, not forked: this process
        # has threads.
        self.analysis = analysis_supervisor(start_method="spawn")

    def schedule(self, uri: str, delay: float) -> None:
        """Check `uri` after `delay` seconds, replacing a check not yet published."""
        if (earlier := self.pending.pop(uri, None)) is not None:
            earlier.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        document = self.workspace.get_text_document(uri)
        version, source = document.version, document.source
        path = _path_of(uri)
        try:
            findings = await asyncio.get_running_loop().run_in_executor(self.checks, self.check_document, source, path)
        except ConfigError as error:
            self.report_config_error(str(error))
            findings = []
        except Exception:  # a bug must cost one document its diagnostics, not the editor its server
            log.exception("checking %s failed", path)
            return
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # closed or changed meanwhile: a newer check is coming
        encoding = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        lines = split_lines(source)
        shown = [(finding, diagnostic(finding, lines, encoding)) for finding in findings]
        self.checked[uri] = Checked(version, source, shown)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[d for _, d in shown], version=version)
        )

    def check_document(self, source: str, path: Path) -> list[Finding]:
        """On the check thread. The configuration is read afresh each time: a check costs far
        more than finding and reading it, and an edited pyproject.toml applies at the next keystroke."""
        settings = ConfigResolver(None, is_known_selector).for_path(path)
        if is_excluded(path, settings, is_dir=False):
            return []
        result = check_text(source, path, settings, self.analysis)
        for error in result.errors:
            log.error("internal error: %s", error)
        return result.findings

    def report_config_error(self, error: str) -> None:
        """Once per distinct error: every keystroke in a document it applies to meets it again."""
        if error not in self.config_errors:
            self.config_errors.add(error)
            log.warning("%s", error)
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"auditor: {error}"))

    def fresh(self, uri: str) -> Checked | None:
        """The published findings of the document's current version, else None (a check is due)."""
        checked = self.checked.get(uri)
        document = self.workspace.text_documents.get(uri)
        if checked is None or document is None or document.version != checked.version:
            return None
        return checked

    def forget(self, uri: str) -> None:
        if (pending := self.pending.pop(uri, None)) is not None:
            pending.cancel()
        self.checked.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _path_of(uri: str) -> Path:
    """The file a document stands for; an unsaved new buffer counts as a file in the working directory."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else Path.cwd() / "untitled.py"


def _is_python(server: AuditorServer, uri: str) -> bool:
    document = server.workspace.get_text_document(uri)
    return document.language_id == "python" or _path_of(uri).suffix in PYTHON_SUFFIXES


def build_server() -> AuditorServer:
    server = AuditorServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: AuditorServer, params: types.DidOpenTextDocumentParams) -> None:
        if _is_python(ls, params.text_document.uri):
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: AuditorServer, params: types.DidChangeTextDocumentParams) -> None:
        if _is_python(ls, params.text_document.uri):
            ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: AuditorServer, params: types.DidSaveTextDocumentParams) -> None:
        if _is_python(ls, params.text_document.uri):
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AuditorServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: AuditorServer, params: types.HoverParams) -> types.Hover | None:
        checked = ls.fresh(params.text_document.uri)
        if checked is None:
            return None
        rules = all_rules()
        pages = [
            hover_text(finding, rules[finding.code].documentation())
            for finding, shown in checked.shown
            if contains(shown.range, params.position)
        ]
        if not pages:
            return None
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, "\n\n---\n\n".join(pages)))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: AuditorServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        only = params.context.only
        if only and not any(types.CodeActionKind.QuickFix.startswith(kind) for kind in only):
            return None
        checked = ls.fresh(params.text_document.uri)
        if checked is None:
            return None
        wanted = [(finding, shown) for finding, shown in checked.shown if overlaps(shown.range, params.range)]
        encoding = ls.workspace.position_encoding or types.PositionEncodingKind.Utf16
        return code_actions(params.text_document.uri, checked.source, wanted, encoding) or None

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: AuditorServer, params: None) -> None:
        ls.shutdown_requested = True
        ls.checks.shutdown(wait=False, cancel_futures=True)

    return server


def serve(log_level: str) -> int:
    """Serve on stdin/stdout until the client says exit; the exit code the protocol asks for
    (0 after shutdown, 1 without)."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt the protocol
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=log_level.upper(), format="auditor server: %(levelname)s: %(message)s")
    server = build_server()
    try:
        server.start_io(sys.stdin.buffer, protocol_out)
    finally:
        server.checks.shutdown(wait=True, cancel_futures=True)
        server.analysis.close()
    return 0 if server.shutdown_requested else 1
