"""A check of the worker's transactions against the chain that has not been done yet is widened
into the next one, never replaced by it."""

from render_worker.chain.check import ChainCheck, merged


def test_a_new_check_alone_is_kept_as_it_is() -> None:
    new = ChainCheck(first=10, last=12)
    assert merged(None, new) == new


def test_a_check_still_due_widens_the_next_one() -> None:
    due = ChainCheck(first=5, last=None, unposted=[3], failed=True)
    new = ChainCheck(first=9, last=11, unposted=[4])
    assert merged(due, new) == ChainCheck(first=5, last=None, unposted=[3, 4], failed=True)


def test_two_bounded_checks_cover_both_ranges() -> None:
    assert merged(ChainCheck(first=5, last=7), ChainCheck(first=8, last=9)) == ChainCheck(
        first=5, last=9
    )
