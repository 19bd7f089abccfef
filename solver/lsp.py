"""``inventory-solver lsp``: the findings in the editor, over the Language Server Protocol.

A pygls server over stdio. When a document of a clan (``inventory.json``, ``flake.nix``,
``clan.nix``, any other ``.nix`` or ``.json`` file under it) is opened, changed or saved,
the clan is checked as ``inventory-solver check`` checks it, with the editor's unsaved
buffers read instead of the files on disk (:data:`solver.files.OVERLAY`), and every
finding is published as a diagnostic on the file it is located in. A file whose findings
are gone gets an empty list. Hovering a machine name shows ``inventory-solver explain``
for it.

The pipeline stays warm: everything is imported, the catalogue and rules loaded, when the
server starts; each check after that is only read -> solve -> results. Changes are
debounced: the first change after a quiet spell is checked at once, a burst of changes
once, :data:`DEBOUNCE` seconds after the last.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from solver import __version__
from solver.api import CheckOptions, check_with
from solver.diagnostics import Diagnostic
from solver.errors import InputError
from solver.files import OVERLAY
from solver.location import Location
from solver.read import Loaded
from solver.report import Report
from solver.root import find_clan_root

DEBOUNCE = 0.15  # seconds of quiet before a burst of changes is checked
SOURCE = "inventory-solver"
_SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
}
_NAME_START = re.compile(r"[A-Za-z0-9_.'-]+$")
_NAME_END = re.compile(r"^[A-Za-z0-9_.'-]+")


def uri_to_path(uri: str) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return os.path.realpath(unquote(parsed.path))


def path_to_uri(path: str) -> str:
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()


def target_of(path: str) -> str:
    """What to check for the document at `path`: its clan (the nearest folder upward with
    ``flake.nix``, ``clan.nix`` or ``inventory.json``, not above the repository); a JSON
    file outside any clan is an inventory by itself."""
    folder = os.path.dirname(path)
    root = find_clan_root(folder)
    if root is None:
        return path if path.endswith(".json") else folder
    root = os.path.realpath(os.path.join(folder, root))
    if path.endswith(".json") and os.path.basename(path) != "inventory.json":
        # a standalone inventory beside a clan marker only when it is not the clan's
        if not any(os.path.isfile(os.path.join(root, m)) for m in ("flake.nix", "clan.nix")):
            if os.path.dirname(path) == root:
                return path
    return root


@dataclass
class Checked:
    """The last check of one target: what it read and found, and where it published."""

    loaded: Loaded | None = None
    report: Report | None = None
    published: set[str] = field(default_factory=set)
    seconds: float = 0.0


class InventoryServer(LanguageServer):
    """The language server; :meth:`check_now` is the whole of one update."""

    def __init__(self) -> None:
        super().__init__(
            "inventory-solver", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full
        )
        self.checked: dict[str, Checked] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.last_change: dict[str, float] = {}
        self.main_doc: dict[str, str] = {}  # target -> the document findings without a place go to

    # -- buffers ------------------------------------------------------------------------
    def buffer(self, uri: str) -> None:
        """The open document `uri`'s text, read by the reader instead of the disk."""
        path = uri_to_path(uri)
        if path is None:
            return
        doc = self.workspace.get_text_document(uri)
        OVERLAY[path] = doc.source.encode("utf-8")

    def forget(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path is not None:
            OVERLAY.pop(path, None)

    # -- scheduling -----------------------------------------------------------------------
    def schedule(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path is None:
            return
        target = target_of(path)
        self.main_doc[target] = uri
        now = time.monotonic()
        quiet = now - self.last_change.get(target, -1e9) > DEBOUNCE
        self.last_change[target] = now
        old = self.pending.pop(target, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self.pending[target] = loop.call_later(0.0 if quiet else DEBOUNCE, self._fire, target)

    def _fire(self, target: str) -> None:
        self.pending.pop(target, None)
        self.check_now(target)

    # -- one update -----------------------------------------------------------------------
    def check_now(self, target: str) -> None:
        """Check `target` with the open buffers, and publish per file."""
        start = time.perf_counter()
        state = self.checked.setdefault(target, Checked())
        folder = target if os.path.isdir(target) else os.path.dirname(target)
        opts = CheckOptions(config=True, config_start=folder, resolve=True)
        try:
            done = check_with(target, opts)
            diags = list(done.report.diagnostics)
            state.loaded, state.report = done.loaded, done.report
        except InputError as exc:  # e.g. a syntax error while typing: shown where it is
            diags = list(exc.diagnostics)
        except Exception as exc:  # a bug must not take the editor's server down
            self.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Error,
                    message=f"inventory-solver: internal error ({type(exc).__name__}: {exc})",
                )
            )
            return
        fallback = self.main_doc.get(target) or path_to_uri(target)
        # the document edited always hears back, an empty list included
        by_uri: dict[str, list[lsp.Diagnostic]] = {fallback: []}
        for d in diags:
            uri = path_to_uri(d.location.file) if d.location else fallback
            by_uri.setdefault(uri, []).append(self.to_lsp(d))
        for uri in sorted(state.published - set(by_uri)):
            self.publish(uri, [])
        for uri, items in sorted(by_uri.items()):
            self.publish(uri, items)
        state.published = set(by_uri)
        state.seconds = time.perf_counter() - start

    def publish(self, uri: str, items: list[lsp.Diagnostic]) -> None:
        doc = self.workspace.text_documents.get(uri)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=uri, diagnostics=items, version=doc.version if doc is not None else None
            )
        )

    def to_range(self, loc: Location) -> lsp.Range:
        start = lsp.Position(line=max(loc.line - 1, 0), character=max(loc.column - 1, 0))
        if loc.end_line is not None and loc.end_column is not None:
            end = lsp.Position(line=max(loc.end_line - 1, 0), character=max(loc.end_column - 1, 0))
        else:
            end = lsp.Position(line=start.line, character=start.character + 1)
        rng = lsp.Range(start=start, end=end)
        doc = self.workspace.text_documents.get(path_to_uri(loc.file))
        if doc is not None:  # columns are code points; the client counts UTF-16 units
            rng = doc.position_codec.range_to_client_units(doc.lines, rng)
        return rng

    def to_lsp(self, d: Diagnostic) -> lsp.Diagnostic:
        rng = (
            self.to_range(d.location)
            if d.location
            else lsp.Range(
                start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)
            )
        )
        related = [
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(
                    uri=path_to_uri(r.location.file), range=self.to_range(r.location)
                ),
                message=r.message,
            )
            for r in d.related
            if r.location is not None
        ]
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        data: dict[str, Any] = {"path": d.path, "hint": d.hint}
        return lsp.Diagnostic(
            range=rng,
            message=message,
            severity=_SEVERITY[d.severity],
            code=d.code,
            source=SOURCE,
            related_information=related or None,
            data=data,
        )

    # -- hover ---------------------------------------------------------------------------
    def hover(self, uri: str, position: lsp.Position) -> lsp.Hover | None:
        path = uri_to_path(uri)
        if path is None:
            return None
        state = self.checked.get(target_of(path))
        if state is None or state.report is None or state.loaded is None:
            return None
        doc = self.workspace.get_text_document(uri)
        word = doc.word_at_position(position, re_start_word=_NAME_START, re_end_word=_NAME_END)
        word = word.strip("'.")
        if word not in state.report.resolution.machines:
            return None
        from solver.commands.explain import machine_text

        text, _ = machine_text(word, state.loaded, state.report)
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=f"```\n{text}```")
        )


def warm_up() -> None:
    """Import and build everything a check uses, once, before the first document."""
    data = {
        "machines": {"a": {"tags": ["t"]}},
        "instances": {"i": {"module": {"name": "sshd"}, "roles": {"server": {"tags": ["t"]}}}},
    }
    check_with(data, CheckOptions(config=None, resolve=True))
    from solver.commands import explain  # noqa: F401 - for the first hover


def make_server() -> InventoryServer:
    server = InventoryServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: InventoryServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.buffer(params.text_document.uri)
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: InventoryServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.buffer(params.text_document.uri)
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: InventoryServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: InventoryServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)  # the file on disk again
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: InventoryServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return ls.hover(params.text_document.uri, params.position)

    return server


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    warm_up()
    # the protocol gets its own copies of stdin/stdout (pygls closes them at exit); fd 1
    # then points at stderr, so that a stray print cannot corrupt the protocol
    rx = os.fdopen(os.dup(0), "rb")
    tx = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    make_server().start_io(rx, tx)
