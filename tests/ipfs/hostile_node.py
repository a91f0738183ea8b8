"""Hostile IPFS nodes for tests: one forwards every RPC call to a real Kubo but tampers with the
answers (flips content bytes, announces a CID other than the real one); one, with no Kubo behind
it, sends a download a byte at a time (`trickling_node`). tilefarm must refuse them, or give up
on them in time."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Tamper = Callable[[str, bytes], bytes]


def flip_first_byte(path: str, body: bytes) -> bytes:
    if path.startswith("/api/v0/cat") and body:
        return bytes([body[0] ^ 0xFF]) + body[1:]
    return body


def announce_other_cid(path: str, body: bytes) -> bytes:
    if path.startswith("/api/v0/add"):
        answer = json.loads(body.splitlines()[-1])
        answer["Hash"] = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
        return json.dumps(answer).encode() + b"\n"
    return body


@contextmanager
def hostile_node(upstream: str, tamper: Tamper) -> Iterator[str]:
    """Serve a tampering proxy of `upstream` on a free loopback port; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self._read_body()
            headers = {"Content-Type": self.headers.get("Content-Type", "")}
            answer = httpx.post(upstream + self.path, content=body, headers=headers, timeout=30)
            data = tamper(self.path, answer.content)
            try:
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a tamper that holds the answer)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))
            parts = []
            while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(parts)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def trickling_node(body: bytes, *, pause: float, first_after: float = 0.0) -> Iterator[str]:
    """A node of its own (no Kubo behind it) that answers every `cat` with `body`, one byte
    every `pause` seconds once `first_after` seconds have passed (`pause` 0: all at once), and
    `version` at once; yields its URL."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self.path.startswith("/api/v0/cat"):
                data = b'{"Version": "0.0.0-trickling"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)  # no length: the body ends when the connection closes
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.flush()
            try:
                if stop.wait(first_after):
                    return
                if pause == 0:
                    self.wfile.write(body)
                    return
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    if stop.wait(pause):
                        return
            except OSError:
                pass  # the client hung up

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
