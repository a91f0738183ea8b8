"""Fetching a worker's committed results with every check that makes them trustworthy.

The results list must hash to the Merkle root committed on chain and list exactly the worker's
assigned tiles of the right job and manifest; a tile's bytes must match its CID (the IPFS client
re-hashes them) and its decoded pixels must hash to the committed pixel hash. The assembler and
the auditor both fetch through here, so the server never stitches a tile the audit would refuse;
the judge (a verifier's, a challenger's, a panel member's, `tilefarm verify`'s) turns the same
refusals into a failed verdict with the reason.
"""

from pathlib import Path

from tilefarm.adapters.ipfs import ContentTooLarge, IpfsError, IpfsUnavailable, KuboClient
from tilefarm.cids import CidError, cid_digest
from tilefarm.errors import TilefarmError
from tilefarm.pixels import Pixels, max_exr_bytes, pixel_hash, read_exr
from tilefarm.results import MAX_RESULTS_BYTES, MAX_TILE_BYTES, Commitment, ResultsList, ResultTile


class CommittedResultsInvalid(TilefarmError):
    """The committed results (list or tile) are not what the chain's commitment says."""


def require_cid(cid: str, what: str) -> None:
    """Refuse a CID whose bytes cannot be checked (not a CIDv1 with a sha2-256 digest) before
    asking any node for it."""
    try:
        cid_digest(cid)
    except CidError as exc:
        raise CommittedResultsInvalid(f"{what} {cid!r} is not a checkable CID: {exc}") from None


def fetch_results(
    ipfs: KuboClient, commitment: Commitment, *, deadline: float | None = None
) -> ResultsList:
    """The results list `commitment` revealed, checked against the commitment.

    Raises `IpfsUnavailable` when the node does not answer, or not within `deadline` seconds for
    the whole list (try again later), and `CommittedResultsInvalid` naming what is wrong
    otherwise."""
    c = commitment
    results_cid, first_tile, tile_count = c.results_cid, c.first_tile, c.tile_count
    if not results_cid:
        raise CommittedResultsInvalid(f"job {c.job_id}: {c.worker} has not revealed its results")
    require_cid(results_cid, "results list")
    try:
        raw = ipfs.cat(results_cid, max_bytes=MAX_RESULTS_BYTES, deadline=deadline)
    except IpfsUnavailable:
        raise
    except IpfsError as exc:
        raise CommittedResultsInvalid(f"results list {results_cid} cannot be read: {exc}") from exc
    try:
        results = ResultsList.model_validate_json(raw)
    except ValueError as exc:
        raise CommittedResultsInvalid(
            f"results list {results_cid} is not a results list: {exc}"
        ) from exc
    assigned = list(range(first_tile, first_tile + tile_count))
    if [t.index for t in results.tiles] != assigned:
        raise CommittedResultsInvalid(
            f"results list {results_cid} does not list exactly the assigned tiles "
            f"{first_tile}..{first_tile + tile_count - 1}"
        )
    if results.job_id != c.job_id or results.manifest_cid != c.manifest_cid:
        raise CommittedResultsInvalid(
            f"results list {results_cid} names job {results.job_id} and manifest "
            f"{results.manifest_cid}, not job {c.job_id} and manifest {c.manifest_cid}"
        )
    try:
        root = "0x" + results.root().hex()
    except (TilefarmError, ValueError) as exc:
        raise CommittedResultsInvalid(f"results list {results_cid} is malformed: {exc}") from exc
    if root != c.merkle_root:
        raise CommittedResultsInvalid(
            f"results list {results_cid} hashes to {root}, not the committed root {c.merkle_root}"
        )
    return results


def fetch_tile(
    ipfs: KuboClient,
    tile: ResultTile,
    dest: Path,
    expect: tuple[int, int],
    *,
    deadline: float | None = None,
) -> Pixels:
    """Tile `tile` fetched into `dest` (bytes checked against its CID), its pixels checked
    against its committed pixel hash.

    `expect` is the tile's `(height, width)` (its rectangle in the manifest's grid), which every
    caller knows from the manifest: a download larger than any EXR of that many pixels
    (`max_exr_bytes`) is cut off, and a file that declares any other size is refused from its
    header, before a pixel is decoded, since a few hundred KB of compressed EXR can declare
    gigabytes of pixels. `deadline`: seconds the whole download may take (None: no limit, each
    read still times out); past it, `IpfsUnavailable` (try again later, or elsewhere)."""
    require_cid(tile.cid, f"tile {tile.index}")
    height, width = expect
    max_bytes = min(MAX_TILE_BYTES, max_exr_bytes(height, width))
    try:
        path = ipfs.cat_to_file(tile.cid, dest, max_bytes=max_bytes, deadline=deadline)
    except IpfsUnavailable:
        raise
    except ContentTooLarge as exc:
        raise CommittedResultsInvalid(
            f"tile {tile.index} ({tile.cid}) is larger than any EXR of its {width}x{height} "
            f"pixels ({max_bytes} bytes)"
        ) from exc
    except IpfsError as exc:
        raise CommittedResultsInvalid(
            f"tile {tile.index} ({tile.cid}) cannot be read: {exc}"
        ) from exc
    try:
        pixels = read_exr(path, expect=expect)
    except TilefarmError as exc:
        raise CommittedResultsInvalid(
            f"tile {tile.index} ({tile.cid}) is not an EXR of the tile's pixels: {exc}"
        ) from exc
    if pixel_hash(pixels) != tile.pixel_hash:
        raise CommittedResultsInvalid(
            f"tile {tile.index}'s pixels ({tile.cid}) do not hash to its committed pixel hash"
        )
    return pixels
