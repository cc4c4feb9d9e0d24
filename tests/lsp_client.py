"""A minimal LSP client for the tests: JSON-RPC over a subprocess's stdin/stdout with
Content-Length framing, as an editor speaks it. Every wait is bounded, so a hung server fails the
test instead of hanging the suite; anything on stdout that is not a well-formed frame fails it too.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

WAIT = 20.0  # seconds: generous for a loaded 2-core machine, short enough to fail a hung server


class ProtocolError(AssertionError):
    pass


class LspClient:
    def __init__(self, command: list[str], cwd: Path, stderr: Path) -> None:
        self._stderr = stderr.open("wb")
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        self._messages: queue.Queue[dict[str, Any] | Exception | None] = queue.Queue()
        self._next_id = 0
        self.notifications: list[dict[str, Any]] = []  # every notification seen, in order
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                headers = self._headers(stdout)
                if headers is None:
                    self._messages.put(None)  # end of output
                    return
                self._messages.put(json.loads(stdout.read(int(headers["content-length"]))))
        except Exception as error:  # handed to the test's thread
            self._messages.put(error)

    @staticmethod
    def _headers(stdout: Any) -> dict[str, str] | None:
        """The header block of the next message (the spec allows Content-Length and Content-Type)."""
        headers: dict[str, str] = {}
        while True:
            line = stdout.readline()
            if not line and not headers:
                return None
            if line == b"\r\n" and "content-length" in headers:
                return headers
            name, colon, value = line.decode("ascii").partition(": ")
            if not colon or not line.endswith(b"\r\n") or name.lower() not in ("content-length", "content-type"):
                raise ProtocolError(f"not an LSP header on stdout: {line!r}")
            headers[name.lower()] = value[:-2]

    def send(self, message: dict[str, Any]) -> None:
        self.send_all([message])

    def send_all(self, messages: list[dict[str, Any]]) -> None:
        """Write several messages in one go, as an editor does when the user types fast."""
        data = b""
        for message in messages:
            body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
            data += b"Content-Length: %d\r\n\r\n" % len(body) + body
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def _next(self, timeout: float) -> dict[str, Any] | None:
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the server sent nothing for {timeout} s") from None
        if isinstance(message, Exception):
            raise message
        return message

    def request(self, method: str, params: Any, timeout: float = WAIT) -> Any:
        self._next_id += 1
        ident = self._next_id
        self.send({"id": ident, "method": method, "params": params})
        while True:
            message = self._next(timeout)
            if message is None:
                raise AssertionError(f"the server closed its output before answering {method}")
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise AssertionError(f"{method} failed: {message['error']}")
                return message.get("result")
            self._keep(message)

    def expect(self, method: str, timeout: float = WAIT) -> Any:
        """The params of the next notification `method` (others are kept in `notifications`)."""
        while True:
            message = self._next(timeout)
            if message is None:
                raise AssertionError(f"the server closed its output while {method} was awaited")
            self._keep(message)
            if message.get("method") == method:
                return message["params"]

    def _keep(self, message: dict[str, Any]) -> None:
        if "id" in message and "method" in message:
            raise AssertionError(f"unexpected request from the server: {message}")
        self.notifications.append(message)

    def quiet_for(self, seconds: float) -> list[dict[str, Any]]:
        """Messages that arrive within `seconds` (for asserting that nothing more comes)."""
        arrived = []
        try:
            while True:
                message = self._messages.get(timeout=seconds)
                if isinstance(message, Exception):
                    raise message
                if message is None:
                    break
                arrived.append(message)
        except queue.Empty:
            pass
        return arrived

    def end_of_output(self, timeout: float = WAIT) -> None:
        """Nothing more on stdout: the server closed it."""
        message = self._next(timeout)
        if message is not None:
            raise AssertionError(f"more output after exit: {message}")

    def wait(self, timeout: float = WAIT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server did not exit within {timeout} s") from None

    def close(self) -> None:
        """Make sure the process is gone, whatever the test did."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()
