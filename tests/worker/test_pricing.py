"""The bidding policy: cost from the benchmark, a margin, the job's maximum, queue and deadline."""

from render_worker.settings import PricingPolicy
from render_worker.work.pricing import JobOffer, decide_bid, seconds_per_tile
from tilefarm.manifest import RenderManifest, build_manifest

SCENE = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
SPEED = 6_000_000.0  # pixel-samples per minute


def _manifest() -> RenderManifest:
    # 320x240 in a 4x4 grid: 80x60 tiles, 16 samples -> 76,800 pixel-samples a tile -> 0.768 s.
    return build_manifest(
        scene_cid=SCENE,
        frames=[1],
        resolution={"width": 320, "height": 240},
        tile_grid={"columns": 4, "rows": 4},
        samples=16,
    )


def _offer(**changes: object) -> JobOffer:
    fields: dict[str, object] = {
        "job_id": 1,
        "tile_count": 16,
        "max_price_per_tile": 10**13,
        "render_window_seconds": 600,
    }
    return JobOffer.model_validate({**fields, **changes})


def test_a_tile_costs_its_pixel_samples_at_the_benchmarked_speed() -> None:
    assert abs(seconds_per_tile(_manifest(), SPEED) - 0.768) < 1e-9


def test_the_bid_is_cost_plus_margin_for_every_tile_that_fits() -> None:
    policy = PricingPolicy(wei_per_render_second=10**12, min_margin=0.25)
    decision = decide_bid(policy, _offer(), _manifest(), SPEED, queued_tiles=0)
    assert decision.bid
    assert decision.price_per_tile == 960_000_000_000  # 0.768 s x 1e12 wei x 1.25
    assert decision.tile_count == 16


def test_no_bid_when_the_maximum_is_below_our_price() -> None:
    decision = decide_bid(PricingPolicy(), _offer(max_price_per_tile=1000), _manifest(), SPEED, 0)
    assert not decision.bid
    assert "above the job's maximum 1000" in decision.reason


def test_the_queue_limit_caps_the_tiles_and_a_full_queue_means_no_bid() -> None:
    policy = PricingPolicy(max_queue_tiles=20)
    assert decide_bid(policy, _offer(), _manifest(), SPEED, queued_tiles=15).tile_count == 5
    full = decide_bid(policy, _offer(), _manifest(), SPEED, queued_tiles=20)
    assert not full.bid and "queue is full" in full.reason


def test_only_tiles_that_can_be_rendered_before_the_deadline_are_bid_for() -> None:
    policy = PricingPolicy(deadline_safety=0.5, setup_seconds=1.0)
    # (8 s x 0.5 - 1 s) / 0.768 s = 3.9 -> 3 tiles
    assert (
        decide_bid(policy, _offer(render_window_seconds=8), _manifest(), SPEED, 0).tile_count == 3
    )
    late = decide_bid(policy, _offer(render_window_seconds=2), _manifest(), SPEED, 0)
    assert not late.bid and "leaves no time" in late.reason


def test_a_heavier_scene_costs_more() -> None:
    light = decide_bid(PricingPolicy(), _offer(), _manifest(), SPEED, 0)
    heavy = decide_bid(PricingPolicy(complexity_factor=3), _offer(), _manifest(), SPEED, 0)
    assert abs(heavy.price_per_tile - 3 * light.price_per_tile) <= 3  # ceil rounding
