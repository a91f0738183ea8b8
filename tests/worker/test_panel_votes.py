"""A panel member's sealed vote: when the market accepts its reveal, and a salt nobody else can
guess but the member finds again after a restart."""

from render_worker.duties.panel import reveals_open
from tilefarm.adapters.chain.records import Dispute
from tilefarm.adapters.chain.votes import vote_commitment, vote_salt

WORKER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
VOTER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
DEADLINE = 1_000


def _dispute(members: tuple[int, int, int], committed: int) -> Dispute:
    return Dispute(
        disputer=WORKER, bond=1, anchor_block=1, deadline=DEADLINE, member0=members[0],
        member1=members[1], member2=members[2], votes_fraud=0, votes_honest=0, voted_mask=0,
        drawn=True, committed_mask=committed,
    )  # fmt: skip


def test_reveals_open_once_every_seated_member_sealed_or_the_window_closed():
    assert not reveals_open(_dispute((1, 2, 3), 0b011), DEADLINE)
    assert reveals_open(_dispute((1, 2, 3), 0b111), DEADLINE)
    assert reveals_open(_dispute((1, 2, 0), 0b011), DEADLINE)  # an empty seat seals nothing
    assert reveals_open(_dispute((1, 2, 3), 0b001), DEADLINE + 1)


def test_a_members_salt_is_its_own_and_the_same_after_a_restart():
    key, other_key = b"\x01" * 32, b"\x02" * 32
    salt = vote_salt(key, 7, WORKER)
    assert salt == vote_salt(key, 7, WORKER.lower())
    assert len({salt, vote_salt(other_key, 7, WORKER), vote_salt(key, 8, WORKER)}) == 3


def test_a_sealed_vote_binds_the_vote_and_its_evidence():
    salt = vote_salt(b"\x01" * 32, 7, WORKER)
    sealed = vote_commitment(7, WORKER, VOTER, False, salt, "bafy-evidence")
    assert sealed != vote_commitment(7, WORKER, VOTER, True, salt, "bafy-evidence")
    assert sealed != vote_commitment(7, WORKER, VOTER, False, salt, "bafy-copied")
