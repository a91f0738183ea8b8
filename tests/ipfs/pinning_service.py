"""A small pinning service for the tests: the endpoints of the IPFS Pinning Service API (v1) over
in-memory state, behind one bearer token, that really pins: each request is pinned on the Kubo
node it is given (`pin/add`, after dialling the request's `origins`), in a thread of its own, so
that its status goes queued -> pinning -> pinned (or failed, with the node's reason in `info`).
"""

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

import httpx
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from tilefarm.adapters.ipfs.pinning_service import Pin, PinResults, PinStatus
from tilefarm_cli.devnet.ports import free_port

PIN_SECONDS = 60.0


@dataclass
class PinBook:
    """The service's state: pin requests by id, and the Kubo node that holds the pins."""

    kubo_api_url: str
    requests: dict[str, PinStatus] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, pin: Pin) -> PinStatus:
        status = PinStatus(
            requestid=str(uuid.uuid4()), status="queued", created=datetime.now(UTC), pin=pin
        )
        with self.lock:
            self.requests[status.requestid] = status
        threading.Thread(target=self._pin, args=(status.requestid,), daemon=True).start()
        return status

    def _set(self, requestid: str, **changes: object) -> None:
        with self.lock:
            if requestid in self.requests:
                self.requests[requestid] = self.requests[requestid].model_copy(update=changes)

    def _pin(self, requestid: str) -> None:
        pin = self.requests[requestid].pin
        self._set(requestid, status="pinning")
        with httpx.Client(base_url=f"{self.kubo_api_url}/api/v0", timeout=PIN_SECONDS) as kubo:
            for origin in pin.origins:  # best effort, as the spec asks
                kubo.post("/swarm/connect", params={"arg": origin})
            answer = kubo.post("/pin/add", params={"arg": pin.cid})
        if answer.status_code == 200:
            self._set(requestid, status="pinned")
        else:
            self._set(requestid, status="failed", info={"reason": answer.text[:200]})

    def remove(self, requestid: str) -> None:
        with self.lock:
            status = self.requests.pop(requestid)
            still_wanted = any(s.pin.cid == status.pin.cid for s in self.requests.values())
        if not still_wanted:
            httpx.post(
                f"{self.kubo_api_url}/api/v0/pin/rm", params={"arg": status.pin.cid}, timeout=10
            )


def _error(status_code: int, reason: str, details: str = "") -> HTTPException:
    return HTTPException(status_code, {"reason": reason, "details": details})


def pinning_app(book: PinBook, token: str) -> FastAPI:
    """The API's endpoints over `book`, for the holder of `token`."""

    def authorized(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization != f"Bearer {token}":
            raise _error(401, "UNAUTHORIZED", "a valid bearer access token is required")

    app = FastAPI(title="IPFS Pinning Service API (test)", dependencies=[Depends(authorized)])

    @app.exception_handler(HTTPException)
    async def error_body(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    def found(requestid: str) -> PinStatus:
        with book.lock:
            if requestid not in book.requests:
                raise _error(404, "NOT_FOUND", f"no pin request {requestid}")
            return book.requests[requestid]

    @app.get("/pins")
    def list_pins(
        cid: str | None = None,
        name: str | None = None,
        status: str = "pinned",
        limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    ) -> PinResults:
        cids = set(cid.split(",")) if cid else None
        statuses = set(status.split(","))
        with book.lock:
            matches = [
                s
                for s in book.requests.values()
                if (cids is None or s.pin.cid in cids)
                and (name is None or s.pin.name == name)
                and s.status in statuses
            ]
        matches.sort(key=lambda s: s.created, reverse=True)
        return PinResults(count=len(matches), results=matches[:limit])

    @app.post("/pins", status_code=202)
    def add_pin(pin: Pin) -> PinStatus:
        return book.add(pin)

    @app.get("/pins/{requestid}")
    def get_pin(requestid: str) -> PinStatus:
        return found(requestid)

    @app.post("/pins/{requestid}", status_code=202)
    def replace_pin(requestid: str, pin: Pin) -> PinStatus:
        found(requestid)
        book.remove(requestid)
        return book.add(pin)

    @app.delete("/pins/{requestid}", status_code=202)
    def remove_pin(requestid: str) -> None:
        found(requestid)
        book.remove(requestid)

    return app


@dataclass
class RunningService:
    url: str
    token: str
    book: PinBook


@contextmanager
def running_pinning_service(
    kubo_api_url: str, token: str, port: int | None = None
) -> Iterator[RunningService]:
    """The service on `port` (default: a free one) on loopback, served by uvicorn in a thread,
    pinning on `kubo_api_url`."""
    book = PinBook(kubo_api_url)
    port = port or free_port("127.0.0.1")
    config = uvicorn.Config(
        pinning_app(book, token), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test pinning service did not start")
        time.sleep(0.02)
    try:
        yield RunningService(url=f"http://127.0.0.1:{port}", token=token, book=book)
    finally:
        server.should_exit = True
        thread.join(10)
