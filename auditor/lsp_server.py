"""`auditor server`: a language server over stdio, on pygls.

Each open Python document is checked from the editor's buffer, not from disk, with the settings
that apply to its path: on open and save at once, on change after a pause (the newest text
wins: a check whose document changed meanwhile is dropped). Checks run one at a time on a worker
thread, so the server keeps answering hovers and code actions while one runs.

A Jupyter notebook comes in two ways. Synchronised as a notebook (LSP 3.17, as VS Code does it),
its code cells are checked together as one module, the way `auditor check` reads the file, and
each cell document gets the diagnostics inside it. Opened as a plain text document, the `.ipynb`
text is the notebook's JSON: checked as the file would be, with diagnostics on the JSON lines
that hold the code, as the github and SARIF formats place them, and no code actions (their
edits would have to go inside JSON strings).

stdout carries protocol messages only: the process's file descriptor 1 is pointed at stderr
before anything else runs, and pygls writes to a private copy of the original.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from auditor import __version__
from auditor.api import analysis_supervisor, check_cells, check_text
from auditor.config import ConfigError, ConfigResolver, Settings
from auditor.discovery import PYTHON_SUFFIXES, is_excluded
from auditor.engine import FileResult
from auditor.findings import Finding
from auditor.lsp_convert import by_cell, code_actions, contains, diagnostic, hover_text, overlaps, split_lines
from auditor.notebook import NOTEBOOK_SUFFIX, inert_cell, is_notebook
from auditor.rule import all_rules, is_known_selector

DEBOUNCE_SECONDS = 0.3
# Every cell of a Jupyter notebook is synchronised, markdown included: cells are numbered among
# all of them (in messages: "on line 3 of cell 4"), as the editor and `auditor check` number them.
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(notebook_selector=[types.NotebookDocumentFilterWithNotebook(notebook="jupyter-notebook")], save=True)

log = logging.getLogger("auditor.server")


# What a published document is: a Python file, a notebook's cell, a notebook's JSON text.
Kind = Literal["python", "cell", "notebook-json"]
# A notebook's cells as checked: (cell document URI, its version, its text or None if it is not
# Python code), in order.
Cells = list[tuple[str, int | None, str | None]]


@dataclass(frozen=True)
class Checked:
    """The findings published for one version of a document, with their diagnostics."""

    version: int | None
    source: str
    shown: list[tuple[Finding, types.Diagnostic]]
    kind: Kind


class AuditorServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("auditor", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental, notebook_document_sync=NOTEBOOK_SYNC)
        self.checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditor-check")
        self.pending: dict[str, asyncio.Task[None]] = {}  # by text document or notebook URI
        self.checked: dict[str, Checked] = {}  # by text document or cell URI
        self.notebooks: dict[str, list[str]] = {}  # each open notebook's URI -> the cells it published for
        self.shutdown_requested = False
        self.config_errors: set[str] = set()
        # One analysis worker process, started on first use and kept: a buffer that crashes the
        # parser kills it, not the server, and it is replaced. Spawned, not forked: this process
        # has threads.
        self.analysis = analysis_supervisor(start_method="spawn")

    def schedule(self, uri: str, delay: float) -> None:
        """Check the text document or notebook `uri` after `delay` seconds, replacing a check
        not yet published."""
        if (earlier := self.pending.pop(uri, None)) is not None:
            earlier.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            if uri in self.notebooks:
                await self._check_notebook(uri)
            else:
                await self._check_text(uri)
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    async def _check_text(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        version, source = document.version, document.source
        path = _path_of(uri)
        findings = await self._findings(path, lambda settings: check_text(source, path, settings, self.analysis))
        current = self.document(uri)
        if findings is None or current is None or current.version != version:
            return  # failed (logged), or closed or changed meanwhile: a newer check is coming
        self.publish(uri, version, source, "notebook-json" if is_notebook(path.name) else "python", findings)

    async def _check_notebook(self, uri: str) -> None:
        """Check the notebook's code cells as one module; publish each cell's findings to it."""
        cells = self.cells_of(uri)
        if cells is None:
            return
        path = _path_of(uri, NOTEBOOK_SUFFIX)
        texts = [text for _, _, text in cells]
        findings = await self._findings(path, lambda settings: check_cells(texts, path, settings, self.analysis))
        if findings is None or self.cells_of(uri) != cells:
            return  # failed (logged), or closed or changed meanwhile: a newer check is coming
        in_cell = by_cell(findings, texts)
        shown = [cell_uri for cell_uri, _, text in cells if text is not None]
        for cell_uri in self.notebooks[uri]:
            if cell_uri not in shown:
                self.clear(cell_uri)  # removed from the notebook, or no longer Python code
        self.notebooks[uri] = shown
        for index, (cell_uri, version, text) in enumerate(cells):
            if text is not None:
                self.publish(cell_uri, version, text, "cell", in_cell.get(index, []))

    def cells_of(self, uri: str) -> Cells | None:
        """The open notebook's cells as they are now (compared after a check: changed meanwhile?)."""
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is None:
            return None
        cells: Cells = []
        for cell in notebook.cells:
            document = self.document(cell.document)
            code = cell.kind == types.NotebookCellKind.Code and document is not None and document.language_id == "python"
            cells.append((cell.document, document.version if document else None, document.source if code and document else None))
        return cells

    async def _findings(self, path: Path, check: Callable[[Settings], FileResult]) -> list[Finding] | None:
        """The findings of `check` run on the check thread, or None if it failed (logged)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self.checks, self.check_document, path, check)
        except ConfigError as error:
            self.report_config_error(str(error))
            return []
        except Exception:  # a bug must cost one document its diagnostics, not the editor its server
            log.exception("checking %s failed", path)
            return None

    def check_document(self, path: Path, check: Callable[[Settings], FileResult]) -> list[Finding]:
        """On the check thread. The configuration is read afresh each time: a check costs far
        more than finding and reading it, and an edited pyproject.toml applies at the next keystroke."""
        settings = ConfigResolver(None, is_known_selector).for_path(path)
        if is_excluded(path, settings, is_dir=False):
            return []
        result = check(settings)
        for error in result.errors:
            log.error("internal error: %s", error)
        return result.findings

    def publish(self, uri: str, version: int | None, source: str, kind: Kind, findings: list[Finding]) -> None:
        """Publish `findings` as the diagnostics of this version of the document."""
        encoding = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        lines = split_lines(source)
        shown = [(finding, diagnostic(finding, lines, encoding, kind == "notebook-json")) for finding in findings]
        self.checked[uri] = Checked(version, source, shown, kind)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[d for _, d in shown], version=version))

    def document(self, uri: str) -> TextDocument | None:
        """The open document `uri` (pygls keeps them by their unquoted URI)."""
        documents: dict[str, TextDocument] = self.workspace.text_documents
        return documents.get(unquote(uri))

    def report_config_error(self, error: str) -> None:
        """Once per distinct error: every keystroke in a document it applies to meets it again."""
        if error not in self.config_errors:
            self.config_errors.add(error)
            log.warning("%s", error)
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"auditor: {error}"))

    def fresh(self, uri: str) -> Checked | None:
        """The published findings of the document's current version, else None (a check is due)."""
        checked = self.checked.get(uri)
        document = self.document(uri)
        if checked is None or document is None or document.version != checked.version:
            return None
        return checked

    def forget(self, uri: str) -> None:
        """A closed text document or notebook: no check is due, and its diagnostics are cleared
        (a notebook's: those of each cell it published for)."""
        if (pending := self.pending.pop(uri, None)) is not None:
            pending.cancel()
        cells = self.notebooks.pop(uri, None)
        for shown in [uri] if cells is None else cells:
            self.clear(shown)

    def clear(self, uri: str) -> None:
        self.checked.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _file_of(uri: str) -> str | None:
    return to_fs_path(uri) if uri.startswith("file:") else None


def _path_of(uri: str, suffix: str = ".py") -> Path:
    """The file a document stands for; an unsaved new buffer counts as a file in the working directory."""
    path = _file_of(uri)
    return Path(path) if path else Path.cwd() / f"untitled{suffix}"


def _is_checked(server: AuditorServer, uri: str) -> bool:
    """A Python document, or a notebook opened as text (its JSON)."""
    path = _file_of(uri) or ""
    return server.workspace.get_text_document(uri).language_id == "python" or path.endswith(PYTHON_SUFFIXES) or is_notebook(path)


def build_server() -> AuditorServer:
    server = AuditorServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: AuditorServer, params: types.DidOpenTextDocumentParams) -> None:
        if _is_checked(ls, params.text_document.uri):
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: AuditorServer, params: types.DidChangeTextDocumentParams) -> None:
        if _is_checked(ls, params.text_document.uri):
            ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: AuditorServer, params: types.DidSaveTextDocumentParams) -> None:
        if _is_checked(ls, params.text_document.uri):
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AuditorServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    async def notebook_did_open(ls: AuditorServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.notebooks[params.notebook_document.uri] = []
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    async def notebook_did_change(ls: AuditorServer, params: types.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, DEBOUNCE_SECONDS)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    async def notebook_did_save(ls: AuditorServer, params: types.DidSaveNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(ls: AuditorServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.forget(params.notebook_document.uri)

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
        if checked is None or checked.kind == "notebook-json":
            return None
        wanted = [(finding, shown) for finding, shown in checked.shown if overlaps(shown.range, params.range)]
        encoding = ls.workspace.position_encoding or types.PositionEncodingKind.Utf16
        # In a cell, a comment goes where the tokenizer says, once IPython syntax is made inert.
        comments_in = inert_cell(checked.source) if checked.kind == "cell" else checked.source
        return code_actions(params.text_document.uri, checked.source, wanted, encoding, comments_in) or None

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
