"""The demo's job offer: its price cap follows the work of a tile, so workers (who price by render
time) still bid when the job asks for more samples or pixels."""

from tilefarm.demo.options import DemoOptions


def test_the_default_job_offers_the_default_cap() -> None:
    assert DemoOptions().job_params().max_price_per_tile == 10**15


def test_eight_times_the_samples_offers_eight_times_the_cap() -> None:
    base, heavy = DemoOptions(), DemoOptions(samples=256)
    assert heavy.job_params().max_price_per_tile == 8 * base.job_params().max_price_per_tile


def test_a_cap_given_by_the_user_is_kept() -> None:
    assert DemoOptions(samples=256, max_price_per_tile=7).job_params().max_price_per_tile == 7
