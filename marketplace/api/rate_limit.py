"""Per-client limits on scene uploads: how many a client may start, and how many bytes it may
send, per minute. Each client (its IP address) has two token buckets that refill continuously
and hold at most a minute's worth. An upload takes one upload token when it starts and its bytes
as they arrive; the bytes may run the bucket into debt (an upload's size is only known once it has
arrived), and a client in debt waits until it is paid off. A client over either limit is refused
with 429 and Retry-After before a byte of its upload is read.

A client is its IPv4 address, or the /64 network of its IPv6 address (what one subscriber
usually gets: a client must not get a fresh limit per address it can pick). At most
`max_clients` are remembered; beyond that the least recently seen is forgotten. An upload whose
bytes run its client's debt beyond `max_debt` (the server passes its largest scene) is refused
mid-stream: a client cannot start many uploads while its bucket is full and then send them all.

Behind a reverse proxy every client has the proxy's address unless the server is told to trust
the proxy's `X-Forwarded-For` (settings `proxy_headers`, `forwarded_allow_ips`): the limits then
apply to all of them together.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from marketplace.errors import MarketplaceError

# Clients remembered at most; beyond it the least recently seen is forgotten.
MAX_CLIENTS = 10_000
# The network of an IPv6 address that counts as one client.
IPV6_CLIENT_PREFIX = 64


class UploadRateLimited(MarketplaceError):
    """A client started more uploads, or sent more bytes, than it may per minute. `details`:
    `{"limit": "uploads" | "bytes", "per_minute": n, "retry_after_seconds": s}`."""

    status = 429
    code = "rate_limited"


@dataclass
class _Bucket:
    uploads: float
    bytes: float
    at: float


class UploadLimiter:
    """The upload buckets of every client; safe to call from several threads."""

    def __init__(
        self,
        uploads_per_minute: float,
        bytes_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.uploads_per_minute = uploads_per_minute
        self.bytes_per_minute = bytes_per_minute
        self.max_clients = max_clients
        self._clock = clock
        # Least recently seen first.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many clients are remembered."""
        return len(self._buckets)

    def admit(self, client: str) -> None:
        """Take one upload token from `client`'s bucket, or raise `UploadRateLimited`."""
        with self._lock:
            bucket = self._refilled(client_key(client))
            if bucket.uploads < 1:
                wait = (1 - bucket.uploads) * 60 / self.uploads_per_minute
                raise self._limited("uploads", self.uploads_per_minute, wait)
            if bucket.bytes <= 0:
                wait = (1 - bucket.bytes) * 60 / self.bytes_per_minute
                raise self._limited("bytes", self.bytes_per_minute, wait)
            bucket.uploads -= 1

    def spend(self, client: str, size: int, max_debt: int | None = None) -> None:
        """Count `size` bytes of `client`'s upload against its bytes per minute; raise
        `UploadRateLimited` once that runs it more than `max_debt` bytes into debt."""
        with self._lock:
            bucket = self._refilled(client_key(client))
            bucket.bytes -= size
            if max_debt is not None and -bucket.bytes > max_debt:
                wait = (1 - bucket.bytes) * 60 / self.bytes_per_minute
                raise self._limited("bytes", self.bytes_per_minute, wait)

    def _refilled(self, client: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            while len(self._buckets) >= self.max_clients:
                self._buckets.popitem(last=False)
            bucket = self._buckets[client] = _Bucket(
                self.uploads_per_minute, self.bytes_per_minute, now
            )
            return bucket
        self._buckets.move_to_end(client)
        minutes = (now - bucket.at) / 60
        bucket.uploads = min(
            self.uploads_per_minute, bucket.uploads + minutes * self.uploads_per_minute
        )
        bucket.bytes = min(self.bytes_per_minute, bucket.bytes + minutes * self.bytes_per_minute)
        bucket.at = now
        return bucket

    def _limited(self, limit: str, per_minute: float, wait: float) -> UploadRateLimited:
        # Whole seconds, rounded up; the nanosecond guards against float error (1.0000000002 s).
        retry = max(1, math.ceil(wait - 1e-9))
        what = "scene uploads" if limit == "uploads" else "bytes of scene uploads"
        return UploadRateLimited(
            f"this client may send {per_minute:g} {what} per minute and has used them: try "
            f"again in {retry} s",
            details={"limit": limit, "per_minute": per_minute, "retry_after_seconds": retry},
            retry_after=retry,
        )


def client_key(host: str) -> str:
    """The client an address belongs to: an IPv4 address (also one written as IPv6), the /64
    of an IPv6 address; anything else as it is."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)
