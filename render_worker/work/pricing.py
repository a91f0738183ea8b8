"""The worker's bidding policy: whether to bid on a job, at what price per tile, for how many tiles.

Cost comes from this machine's own benchmark of the backend it renders on (`render-worker
benchmark`: pixel-samples per minute on the reference scene; `render_worker/work/machine.py`
picks the figure). A job whose requirements its hardware does not meet is never priced
(`render_worker/work/bidding.py`). A tile of `w x h` pixels at `s` samples costs
`w * h * s / speed` seconds; the operator prices a second of the machine (`wei_per_render_second`),
so the cost of a tile is known, and the bid is that cost plus the operator's margin. The worker
bids only when that price is within the job's maximum, and only for as many tiles as it can
render inside the render window (with a safety factor) without its queue growing past its limit.
Scene content is not known when bidding, so the benchmark scene stands in for it; operators
who see heavier scenes raise `complexity_factor`.
"""

import math

from pydantic import BaseModel, Field

from render_worker.settings import PricingPolicy
from tilefarm.manifest import RenderManifest

UINT16_MAX = 2**16 - 1
UINT96_MAX = 2**96 - 1


class JobOffer(BaseModel):
    """What the chain says about a job that is open for bids."""

    job_id: int
    tile_count: int = Field(ge=1)
    max_price_per_tile: int = Field(ge=1)
    render_window_seconds: float = Field(gt=0)


class BidDecision(BaseModel):
    """The policy's answer, with the reason in words for the log."""

    bid: bool
    price_per_tile: int = 0
    tile_count: int = 0
    seconds_per_tile: float
    reason: str


def seconds_per_tile(manifest: RenderManifest, pixel_samples_per_minute: float) -> float:
    """Estimated render time of the largest tile of the manifest on this machine."""
    if pixel_samples_per_minute <= 0:
        raise ValueError("the benchmark speed must be positive: run `render-worker benchmark`")
    largest = max(rect.area for rect in manifest.tiles())
    return largest * manifest.samples * 60.0 / pixel_samples_per_minute


def decide_bid(
    policy: PricingPolicy,
    offer: JobOffer,
    manifest: RenderManifest,
    pixel_samples_per_minute: float,
    queued_tiles: int,
) -> BidDecision:
    """Bid or not on `offer`, given this machine's speed and its current queue."""
    tile_s = seconds_per_tile(manifest, pixel_samples_per_minute) * policy.complexity_factor
    cost = tile_s * policy.wei_per_render_second
    price = max(1, math.ceil(cost * (1 + policy.min_margin)))

    def no(reason: str) -> BidDecision:
        return BidDecision(bid=False, seconds_per_tile=tile_s, reason=reason)

    if price > offer.max_price_per_tile:
        return no(
            f"our price {price} wei/tile is above the job's maximum {offer.max_price_per_tile}"
        )
    if price > UINT96_MAX:
        return no(f"our price {price} wei/tile does not fit the contract's uint96")
    room = policy.max_queue_tiles - queued_tiles
    if room <= 0:
        return no(f"the queue is full ({queued_tiles} of {policy.max_queue_tiles} tiles)")
    usable = offer.render_window_seconds * policy.deadline_safety - policy.setup_seconds
    in_time = math.floor(usable / tile_s) if usable > 0 else 0
    if in_time <= 0:
        return no(
            f"one tile takes about {tile_s:.1f} s; the render window "
            f"({offer.render_window_seconds:.0f} s) leaves no time for it"
        )
    count = min(offer.tile_count, room, in_time, UINT16_MAX)
    return BidDecision(
        bid=True,
        price_per_tile=price,
        tile_count=count,
        seconds_per_tile=tile_s,
        reason=f"{count} tiles at {price} wei (cost {cost:.0f} + {policy.min_margin:.0%} margin)",
    )
