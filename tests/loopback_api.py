"""A stand-in for the Messages API on 127.0.0.1: real HTTP, real SSE, scripted faults.

`auditor live-check` is about what the SDK does on the wire (retries, timeouts, a stream cut
off halfway), so its tests talk to a real socket rather than a mocked transport. Each request
takes the next scripted `Reply` (or `LoopbackAPI.default` once the script is used up), and every
request is recorded so a test can check what the SDK actually sent.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TEXT = ("Ready", ".", " The", " settings", " work", ".")
INPUT_TOKENS = 12


@dataclass(frozen=True)
class Reply:
    """One scripted answer to one request.

    kind: "stream" (a whole answer), "error" (a JSON error with `status`), "cut" (the answer
    stops after `cut_after` events), "error_event" (status 200, then an SSE `error` event),
    "garbage" (an event whose data is not JSON, as a broken proxy might send), "redirect"
    (`status` 3xx to `location`), "body" (`status` with `body` as `content_type`, e.g. a JSON
    error or an HTML page with status 200) or "drip" (the answer one byte every `interval`
    seconds, until the client hangs up or the server stops).
    framing: "chunked" (HTTP/1.1 chunked, as the API sends) or "eof" (no length, the body ends
    when the connection closes). A "cut" with "chunked" never sends the closing chunk; with
    "eof" the body just ends, which looks like a normal end to the HTTP client.
    headers: sent with every kind of answer (e.g. a server that echoes the key back).
    """

    kind: str = "stream"
    status: int = 200
    error_type: str = ""
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    chunks: tuple[str, ...] = DEFAULT_TEXT
    cut_after: int = 0
    framing: str = "chunked"
    location: str = ""
    interval: float = 1.0
    body: str = ""
    content_type: str = ""


def ok(chunks: tuple[str, ...] = DEFAULT_TEXT, delay: float = 0.0) -> Reply:
    return Reply(chunks=chunks, delay=delay)


def error(
    status: int,
    error_type: str,
    message: str,
    retry_after_ms: float | None = 10,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """An API error; `retry-after-ms` keeps the SDK's backoff (0.5 s and up) out of the tests."""
    extra = (("retry-after-ms", f"{retry_after_ms:g}"),) if retry_after_ms is not None else ()
    return Reply(kind="error", status=status, error_type=error_type, message=message, headers=extra + headers)


def stall(seconds: float) -> Reply:
    """Send nothing at all for `seconds`, then a normal answer (to a client that has given up)."""
    return Reply(delay=seconds)


def cut_off(after_events: int, framing: str = "chunked") -> Reply:
    return Reply(kind="cut", cut_after=after_events, framing=framing)


def error_event(error_type: str, message: str) -> Reply:
    return Reply(kind="error_event", error_type=error_type, message=message)


def garbage() -> Reply:
    return Reply(kind="garbage")


def redirect(location: str, status: int = 307) -> Reply:
    return Reply(kind="redirect", status=status, location=location)


HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Guest Wi-Fi: sign in</title></head>"
    "<body><p>Accept the terms to continue.</p></body></html>\n"
)


def body_200(content_type: str, body: str) -> Reply:
    """Status 200, but not an event stream: what a proxy, a gateway or a captive portal may send."""
    return Reply(kind="body", content_type=content_type, body=body)


def json_error_200(error_type: str, message: str) -> Reply:
    return body_200("application/json", json.dumps(error_body(error_type, message)))


def html_200() -> Reply:
    return body_200("text/html; charset=utf-8", HTML_PAGE)


def drip(interval: float = 1.0) -> Reply:
    return Reply(kind="drip", interval=interval)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def message_json(model: str, text: str, output_tokens: int) -> dict[str, Any]:
    """A complete Message, as a non-streamed reply carries it."""
    return {
        "id": "msg_loopback",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": output_tokens},
    }


def stream_events(model: str, chunks: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """The SSE events of one answer, shaped as in anthropic/types/raw_message_*_event.py."""
    start = message_json(model, "", 1)
    start.update(content=[], stop_reason=None)
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    for chunk in chunks:
        delta = {"type": "text_delta", "text": chunk}
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(chunks)},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def request_key(headers: dict[str, str]) -> str | None:
    """The key a request carries: `x-api-key`, or a bearer token (the SDK has used both)."""
    if "x-api-key" in headers:
        return headers["x-api-key"]
    auth = headers.get("authorization", "")
    return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the tests read the recorded requests instead."""

    def do_POST(self) -> None:
        api = self.server.api
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {name.lower(): value for name, value in self.headers.items()}
        number = api.record(Recorded("POST", self.path, headers, body))
        self.close_connection = True
        reply = api.next_reply()
        if reply.delay and api.stopping.wait(reply.delay):
            return
        try:
            self._answer(api, reply, headers, body, number)
        except OSError:
            pass  # the client gave up (a timeout test): nothing left to say

    def _answer(self, api: LoopbackAPI, reply: Reply, headers: dict[str, str], body: Any, number: int) -> None:
        request_id = f"req_loopback_{number:03d}"
        model = body.get("model", "") if isinstance(body, dict) else ""
        if self.path.split("?")[0] != "/v1/messages":
            self._send_json(404, error_body("not_found_error", f"Not found: {self.path}"), request_id, ())
        elif api.api_key is not None and request_key(headers) != api.api_key:
            self._send_json(401, error_body("authentication_error", "invalid x-api-key"), request_id, ())
        elif api.known_models is not None and model not in api.known_models:
            self._send_json(404, error_body("not_found_error", f"model: {model}"), request_id, ())
        elif reply.kind == "error":
            self._send_json(reply.status, error_body(reply.error_type, reply.message), request_id, reply.headers)
        elif reply.kind == "body":
            self._send_body(reply.status, reply.body.encode(), reply.content_type, request_id, reply.headers)
        elif reply.kind == "redirect":
            self._send_body(reply.status, b"", "text/plain", request_id, (("location", reply.location), *reply.headers))
        elif isinstance(body, dict) and body.get("stream") is True:
            self._send_stream(reply, model, request_id)
        else:
            self._send_json(200, message_json(model, "".join(reply.chunks), len(reply.chunks)), request_id, ())

    def _send_json(self, status: int, payload: Any, request_id: str, extra: tuple[tuple[str, str], ...]) -> None:
        self._send_body(status, json.dumps(payload).encode(), "application/json", request_id, extra)

    def _send_body(
        self, status: int, data: bytes, content_type: str, request_id: str, extra: tuple[tuple[str, str], ...]
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", request_id)
        self.send_header("connection", "close")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, reply: Reply, model: str, request_id: str) -> None:
        events = [sse(name, data) for name, data in stream_events(model, reply.chunks)]
        if reply.kind == "cut":
            events = events[: reply.cut_after]
        elif reply.kind == "error_event":
            # The API can fail after it has started answering: status 200, then an `error` event.
            events = events[:4] + [sse("error", error_body(reply.error_type, reply.message))]
        elif reply.kind == "garbage":
            events = events[:3] + [b"event: content_block_delta\ndata: {not json\n\n"]
        chunked = reply.framing == "chunked"
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", request_id)
        self.send_header("connection", "close")
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if reply.kind == "drip":
            # One byte at a time: each read succeeds well within any timeout, so only an overall
            # deadline ends it. Bounded: the answer is finite, and the server's stop wakes it.
            events = [bytes([byte]) for byte in b"".join(events)]
        for event in events:
            if reply.kind == "drip" and self.server.api.stopping.wait(reply.interval):
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event) if chunked else event)
            self.wfile.flush()
        if chunked and reply.kind != "cut":
            self.wfile.write(b"0\r\n\r\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: LoopbackAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up early is part of the tests, not an error worth printing."""


class LoopbackAPI:
    """The server, its script and its record of requests. Use as a context manager."""

    def __init__(self, api_key: str | None = None, known_models: set[str] | None = None) -> None:
        self.api_key = api_key
        self.known_models = known_models
        self.default = ok()
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="loopback-api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order; `default` answers after them."""
        with self._lock:
            self._script.extend(replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def record(self, request: Recorded) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests)

    def start(self) -> LoopbackAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes any handler that is stalling on purpose
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def unused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
