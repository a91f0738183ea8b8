"""Reading what a seat's worker revealed (its results list, then its tiles) for the frames and
the previews alike, so that a seat whose files nobody serves, or serves slowly, costs little and
holds up nothing but its own tiles:

- reads go through a client of their own (`reader`) that waits a short while for each answer
  and never retries: a seat not served now is put off instead, on its own (`seat_waits`: 30 s,
  doubling up to 10 min), while every other seat is read as usual;
- each read has a deadline for the whole of it, not only for each answer (a node sending a byte
  now and then would otherwise hold the thread for hours): `RESULTS_DEADLINE` for a results list,
  `tile_deadline` for a tile, sized from its rectangle (the tile's bytes are bounded by it too,
  `tilefarm.pixels.max_exr_bytes`);
- a results list is read once for all the frames it covers (`ResultsCache`).
"""

from collections import OrderedDict

from marketplace.assembly.waits import BackOff
from tilefarm.adapters.ipfs import IpfsError, IpfsUnavailable, KuboClient
from tilefarm.adapters.ipfs.errors import CidMismatch, ContentTooLarge
from tilefarm.checks.verification import CommittedResultsInvalid, fetch_results
from tilefarm.pixels import max_exr_bytes
from tilefarm.results import MAX_TILE_BYTES, Commitment, ResultsList
from tilefarm.tiles import Rect

FIRST_SEAT_WAIT = 30.0  # a seat not readable is tried again after this, doubling each time
MAX_SEAT_WAIT = 600.0  # ...up to this: a seat still unreadable is tried again this often
RESULTS_DEADLINE = 60.0  # seconds a results list (at most 8 MiB) may take to come whole
TILE_DEADLINE = 60.0  # seconds any tile may take to come whole, plus its bytes at...
MIN_TILE_RATE = 256 << 10  # ...this many bytes a second: a slower node is tried again later
RESULTS_CACHED = 64  # results lists kept, each read once for all the frames it covers


def seat_waits(first: float = FIRST_SEAT_WAIT) -> BackOff[str]:
    """The seats (their `Source.key`) put off because their files were not readable now: for
    `first` seconds, doubling with each failure in a row up to `MAX_SEAT_WAIT`."""
    return BackOff(first, MAX_SEAT_WAIT)


def reader(ipfs: KuboClient, timeout: float) -> KuboClient:
    """A client of `ipfs`'s node for reading seats: it waits `timeout` for each answer and never
    retries (the caller closes it)."""
    return KuboClient(ipfs.api_url, timeout=timeout, outage_seconds=0)


def tile_deadline(rect: Rect) -> float:
    """Seconds a tile of `rect` may take to download whole: a minute, plus its largest honest
    size at `MIN_TILE_RATE` (a 960 x 540 tile: about 95 s; the largest, capped at 512 MiB:
    about 35 min)."""
    largest = min(MAX_TILE_BYTES, max_exr_bytes(rect.height, rect.width))
    return TILE_DEADLINE + largest / MIN_TILE_RATE


def unreadable(exc: Exception) -> bool:
    """Whether `exc` (from `fetch_results` or `fetch_tile`) only says that IPFS did not serve the
    bytes now (which may change), rather than that they are not what the worker committed."""
    if isinstance(exc, IpfsUnavailable):
        return True
    cause = exc.__cause__ if isinstance(exc, CommittedResultsInvalid) else None
    return isinstance(cause, IpfsError) and not isinstance(cause, CidMismatch | ContentTooLarge)


class ResultsCache:
    """Results lists read through `ipfs`, each checked against its commitment once."""

    def __init__(self, ipfs: KuboClient, size: int = RESULTS_CACHED) -> None:
        self.ipfs = ipfs
        self.size = size
        self._lists: OrderedDict[str, ResultsList] = OrderedDict()

    def get(self, commitment: Commitment) -> ResultsList:
        """The results list `commitment` revealed, checked (`fetch_results`, which raises)."""
        key = commitment.model_dump_json()
        found = self._lists.get(key)
        if found is not None:
            self._lists.move_to_end(key)
            return found
        results = fetch_results(self.ipfs, commitment, deadline=RESULTS_DEADLINE)
        self._lists[key] = results
        while len(self._lists) > self.size:
            self._lists.popitem(last=False)
        return results
