"""A chain RPC that drops connections: a TCP proxy in front of anvil that cuts the connection on
every `nth` request it sees (the client gets a reset, not an answer), and can black out
completely for a while."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class FlakyProxy:
    def __init__(self, upstream_port: int, every_nth: int) -> None:
        self.upstream_port = upstream_port
        self.every_nth = every_nth
        self.dropped = 0
        self.blackout = threading.Event()
        self._requests = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()

    def _should_drop(self) -> bool:
        with self._lock:
            self._requests += 1
            drop = self.blackout.is_set() or self._requests % self.every_nth == 0
            self.dropped += drop
            return drop

    @staticmethod
    def _close(*sockets: socket.socket) -> None:
        for s in sockets:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _requests_up(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                if data[:4] == b"POST" and self._should_drop():
                    break
                upstream.sendall(data)
        except OSError:
            pass
        self._close(client, upstream)

    def _answers_down(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while data := upstream.recv(65536):
                client.sendall(data)
        except OSError:
            pass
        self._close(client, upstream)

    def serve(self) -> None:
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._requests_up, args=(client, upstream), daemon=True).start()
            down = threading.Thread(target=self._answers_down, args=(upstream, client), daemon=True)
            down.start()

    def close(self) -> None:
        self._stop.set()
        self._server.close()


@contextmanager
def flaky_rpc(upstream_port: int, every_nth: int = 4) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(upstream_port, every_nth)
    thread = threading.Thread(target=proxy.serve, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.close()
        thread.join()
