"""A marketplace server that answers what a test tells it to: a hostile or broken server as the
artist's commands may meet one. Each route is a function of the request's body giving the
status, headers and body (bytes, or chunks sent one after another); every request is recorded,
so that a test can say what the command never asked."""

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = bytes | Iterable[bytes]
Reply = tuple[int, dict[str, str], Body]
Route = Callable[[bytes], Reply]


def json_reply(body: Any, status: int = 200) -> Route:
    """A route answering `body` as JSON."""
    data = json.dumps(body).encode()
    return lambda _request: (status, {"content-type": "application/json"}, data)


@dataclass
class FakeServer:
    url: str
    routes: dict[tuple[str, str], Route]  # (method, path without query) -> route
    asked: list[tuple[str, str]] = field(default_factory=list)
    sent_bytes: dict[str, int] = field(default_factory=dict)  # path -> body bytes written
    finished: set[str] = field(default_factory=set)  # paths whose answer is over

    def wait_finished(self, path: str, timeout: float = 30.0) -> None:
        """Until the answer to `path` is over (its bytes all written, or refused)."""
        deadline = time.monotonic() + timeout
        while path not in self.finished:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the fake server is still answering {path}")
            time.sleep(0.05)


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # quiet
            pass

        def _serve(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            server.asked.append((method, path))
            length = int(self.headers.get("content-length") or 0)
            request = self.rfile.read(length) if length else b""
            route = server.routes.get((method, path))
            if route is None:
                route = json_reply({"error": {"code": "not_found", "message": "no route"}}, 404)
            try:
                self._answer(path, *route(request))
            finally:
                server.finished.add(path)

        def _answer(self, path: str, status: int, headers: dict[str, str], body: Body) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if isinstance(body, bytes):
                if "content-length" not in headers:
                    self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                server.sent_bytes[path] = len(body)
                return
            self.send_header("connection", "close")
            self.end_headers()
            server.sent_bytes[path] = 0
            try:
                for chunk in body:
                    self.wfile.write(chunk)
                    server.sent_bytes[path] += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading: what the test may want
            self.close_connection = True

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


@contextmanager
def fake_server(routes: dict[tuple[str, str], Route]) -> Iterator[FakeServer]:
    """A server on a free loopback port for the `with` block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeServer(url=f"http://127.0.0.1:{httpd.server_address[1]}", routes=routes)
    httpd.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


def chunks(size: int, total: int, fill: bytes = b"x") -> Iterator[bytes]:
    """`total` bytes in chunks of `size`."""
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        yield fill * part
        sent += part
