"""When the worker's chain loop runs next: at the first second a bidding window it waits on has
ended, else at its poll interval (slower when new blocks are announced)."""

from dataclasses import dataclass

from pytest import approx

from render_worker.chain.wakeups import HEADS_POLL_FACTOR, MARGIN_SECONDS, seconds_to_sleep


@dataclass
class Bidding:
    bid_end: int
    reveal_end: int
    settled: bool = False


def test_a_worker_that_bid_wakes_the_first_second_it_may_reveal():
    job = Bidding(bid_end=100, reveal_end=102)
    assert seconds_to_sleep([job], 99.4, 1.0, heads=True, settle_grace=5) == approx(
        1.6 + MARGIN_SECONDS
    )


def test_a_worker_that_revealed_wakes_when_it_may_settle_and_again_after_the_grace():
    job = Bidding(bid_end=100, reveal_end=102)
    wake = seconds_to_sleep([job], 101.5, 10.0, heads=True, settle_grace=5)
    assert wake == approx(103 - 101.5 + MARGIN_SECONDS)
    later = seconds_to_sleep([job], 103.5, 10.0, heads=True, settle_grace=5)
    assert later == approx(108 - 103.5 + MARGIN_SECONDS)


def test_without_windows_to_wait_for_it_polls_slower_when_blocks_are_announced():
    done = Bidding(bid_end=10, reveal_end=12, settled=True)
    assert seconds_to_sleep([done], 50.0, 1.0, heads=False, settle_grace=5) == 1.0
    assert seconds_to_sleep([done], 50.0, 1.0, heads=True, settle_grace=5) == HEADS_POLL_FACTOR
    past = Bidding(bid_end=10, reveal_end=12)
    assert seconds_to_sleep([past], 50.0, 1.0, heads=False, settle_grace=5) == 1.0
