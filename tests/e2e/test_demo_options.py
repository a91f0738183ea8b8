"""The demo's job offer: its price cap follows the work of a tile, so workers (who price by render
time) still bid when the job asks for more samples or pixels."""

from tilefarm_cli.demo.options import DemoOptions


def test_a_small_job_offers_the_base_cap() -> None:
    small = DemoOptions(width=480, height=270, samples=32)
    assert small.job_params().max_price_per_tile == 10**15


def test_the_default_job_offers_the_cap_scaled_with_its_pixels_and_samples() -> None:
    # Four times the pixels of the small job, twice its samples.
    assert DemoOptions().job_params().max_price_per_tile == 8 * 10**15


def test_four_times_the_samples_offers_four_times_the_cap() -> None:
    base, heavy = DemoOptions(), DemoOptions(samples=4 * DemoOptions().samples)
    assert heavy.job_params().max_price_per_tile == 4 * base.job_params().max_price_per_tile


def test_a_cap_given_by_the_user_is_kept() -> None:
    assert DemoOptions(samples=256, max_price_per_tile=7).job_params().max_price_per_tile == 7
