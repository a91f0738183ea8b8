"""A marketplace server that answers what a test tells it to: a hostile or broken server as the
artist's commands may meet one. Each route is a function of the request's body giving the
status, headers and body (bytes, or chunks sent one after another); every request is recorded,
so that a test can say what the command never asked. A route may relay JSON-RPC to a real
node (`relay`), as a server offering its own node does, and lie about some of its answers."""

import json
import socket
import threading
import time
import urllib.request
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
def fake_server(
    routes: dict[tuple[str, str], Route], host: str = "127.0.0.1"
) -> Iterator[FakeServer]:
    """A server on a free port of `host` (loopback unless told) for the `with` block."""
    httpd = ThreadingHTTPServer((host, 0), BaseHTTPRequestHandler)
    fake = FakeServer(url=f"http://{host}:{httpd.server_address[1]}", routes=routes)
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


Tamper = Callable[[dict[str, Any], bytes], Reply | None]


def relay(node_url: str, tamper: Tamper | None = None) -> Route:
    """A route that passes JSON-RPC requests on to the real node at `node_url`, as a server
    offering its own node would; `tamper(request, node_answer)` may answer instead (a lying
    node: its reply, or None to pass the node's answer on)."""

    def route(request: bytes) -> Reply:
        ask = urllib.request.Request(
            node_url, data=request, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(ask, timeout=30) as answer:
            body: bytes = answer.read()
        if tamper is not None and (lie := tamper(json.loads(request), body)) is not None:
            return lie
        return 200, {"content-type": "application/json"}, body

    return route


def outward_address() -> str:
    """An address of this machine that is not loopback: the one its route to the outside
    leaves from (a UDP socket's connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached
        address: str = probe.getsockname()[0]
    return address
