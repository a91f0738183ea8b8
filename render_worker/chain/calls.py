"""The market calls the worker sends, each built with its purpose by one typed function: what the
worker's parts hand to `TxSender.send` (`render_worker/chain/sender.py`), never a function name and
loose arguments.

`tilefarm.adapters.chain.bindings.JobMarketClient` has typed writes for the same functions, but they
sign, broadcast and wait in one step; the worker must store each signed transaction under its
purpose before it is broadcast, so it sends through its own sender and builds its calls here.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from render_worker.chain.purposes import Action, Purpose, seed_tag
from tilefarm.hardware import Hardware
from tilefarm.hardware_codes import BACKEND_CODES, AbandonCause

# The contract's answers that mean "not yet" (a window still open, a block not yet mined): the
# call is tried again at a later pass, and not logged as news.
NOT_YET = frozenset(
    {
        "RevealNotOpen", "RevealNotOver", "RandomnessNotReady", "WindowStillOpen",
        "VotingStillOpen", "RenderDeadlineNotReached", "RevealsNotOpen",
    }
)  # fmt: skip
# The actions anyone may take on a seat once its deadline has passed, and the draw a watch on a
# seat nobody drew makes instead of a replacement (`render_worker/duties/seats.py`).
SEAT_DEADLINES = frozenset(
    {
        Action.CLAIM_LATE, Action.REPLACE_VERIFIER, Action.FINALIZE_REJECTION, Action.RELEASE,
        Action.DRAW_VERIFIER,
    }
)  # fmt: skip


def not_yet(error: str) -> bool:
    """Whether the contract's custom error `error` means "not yet"."""
    return error in NOT_YET


@dataclass(frozen=True)
class Call:
    """One market function call: its purpose (which names the function), its arguments and the
    wei it sends."""

    purpose: Purpose
    args: tuple[Any, ...] = ()
    value: int = 0

    @property
    def function(self) -> str:
        return self.purpose.action.value


# ---- bidding


def commit_bid(job_id: int, commitment: bytes, tile_count: int, bond: int) -> Call:
    return Call(Purpose(Action.COMMIT_BID, job_id), (job_id, commitment, tile_count), bond)


def reveal_bid(job_id: int, price_per_tile: int, tile_count: int, salt: bytes) -> Call:
    return Call(Purpose(Action.REVEAL_BID, job_id), (job_id, price_per_tile, tile_count, salt))


def settle(job_id: int, ranking: Sequence[str]) -> Call:
    """Settle a job's (or round's) bidding; any bidder or watcher, once for the job."""
    return Call(Purpose(Action.SETTLE, job_id), (job_id, list(ranking)))


def reclaim_bond(job_id: int) -> Call:
    return Call(Purpose(Action.RECLAIM_BOND, job_id), (job_id,))


def reoffer(job_id: int, latest_round: int) -> Call:
    """Re-offer a posted job's unsold tiles: once per latest round (0 for none)."""
    return Call(Purpose(Action.REOFFER, job_id, round=latest_round), (job_id,))


# ---- the worker's own seat


def commit_results(job_id: int, merkle_root: bytes) -> Call:
    return Call(Purpose(Action.COMMIT_RESULTS, job_id), (job_id, merkle_root))


def abandon_seat(job_id: int, cause: AbandonCause) -> Call:
    """Give the worker's own seat back before its render deadline (its tiles return to the
    artist at once, its stake slashed as a late worker's), saying why."""
    return Call(Purpose(Action.ABANDON_SEAT, job_id), (job_id, int(cause)))


def draw_own_verifier(job_id: int, me: str, seat_round: int) -> Call:
    return Call(Purpose(Action.DRAW_VERIFIER, job_id, round=seat_round), (job_id, me))


def reveal_results(job_id: int, seat_round: int, results_cid: str) -> Call:
    return Call(Purpose(Action.REVEAL_RESULTS, job_id, round=seat_round), (job_id, results_cid))


def appeal(job_id: int, me: str, reason_cid: str, bond: int) -> Call:
    """Dispute a failed verdict on the worker's own seat."""
    return Call(Purpose(Action.OPEN_DISPUTE, job_id), (job_id, me, reason_cid), bond)


def draw_own_panel(job_id: int, me: str) -> Call:
    return Call(Purpose(Action.DRAW_PANEL, job_id), (job_id, me))


def resolve_own_dispute(job_id: int, me: str) -> Call:
    return Call(Purpose(Action.RESOLVE_DISPUTE, job_id), (job_id, me))


# ---- other workers' seats


def seat_deadline(action: Action, job_id: int, worker: str, seat_round: int) -> Call:
    """One of `SEAT_DEADLINES` on `worker`'s seat, once per round."""
    if action not in SEAT_DEADLINES:
        raise ValueError(f"{action} is not an action on a seat's deadline")
    return Call(Purpose(action, job_id, worker, seat_round), (job_id, worker))


def seal_evidence(job_id: int, worker: str, seat_round: int, seed: str, seal: bytes) -> Call:
    """The drawn verifier's seal, for the draw of `seed`."""
    purpose = Purpose(Action.SEAL_EVIDENCE, job_id, worker, seat_round, seed_tag(seed))
    return Call(purpose, (job_id, worker, seal))


def attest(
    job_id: int, worker: str, seat_round: int, seed: str, passed: bool, evidence_cid: str
) -> Call:
    """The drawn verifier's verdict, for the draw of `seed`."""
    purpose = Purpose(Action.ATTEST, job_id, worker, seat_round, seed_tag(seed))
    return Call(purpose, (job_id, worker, passed, evidence_cid))


def challenge(job_id: int, worker: str, seat_round: int, reason_cid: str, bond: int) -> Call:
    """Dispute another worker's pass that its own evidence contradicts."""
    purpose = Purpose(Action.OPEN_DISPUTE, job_id, worker, seat_round)
    return Call(purpose, (job_id, worker, reason_cid), bond)


def draw_panel(job_id: int, worker: str, seat_round: int) -> Call:
    """The challenger draws the panel of its challenge."""
    return Call(Purpose(Action.DRAW_PANEL, job_id, worker, seat_round), (job_id, worker))


def resolve_dispute(job_id: int, worker: str, seat_round: int) -> Call:
    """The challenger resolves its challenge."""
    return Call(Purpose(Action.RESOLVE_DISPUTE, job_id, worker, seat_round), (job_id, worker))


# ---- a panel member


def commit_vote(job_id: int, worker: str, commitment: bytes) -> Call:
    return Call(Purpose(Action.COMMIT_VOTE, job_id, worker), (job_id, worker, commitment))


def reveal_vote(job_id: int, worker: str, fraud: bool, salt: bytes, evidence_cid: str) -> Call:
    args = (job_id, worker, fraud, salt, evidence_cid)
    return Call(Purpose(Action.REVEAL_VOTE, job_id, worker), args)


def resolve_as_panel(job_id: int, worker: str) -> Call:
    """A panel member resolves the dispute it voted on (the panel is paid at resolution)."""
    return Call(Purpose(Action.RESOLVE_DISPUTE, job_id, worker), (job_id, worker))


# ---- the worker's own account


def withdraw(block: int, balance: int) -> Call:
    """Withdraw the market's balance, once per balance seen at `block`."""
    return Call(Purpose.withdrawal(block, balance))


def stake(amount: int, tag: str) -> Call:
    """Add `amount` to the stake, once per `tag`."""
    return Call(Purpose(Action.STAKE, tag=tag), value=amount)


def request_unstake(block: int, amount: int) -> Call:
    """Move `amount` out of the stake (`render-worker unstake`), asked on the stake read at
    `block`; it unlocks after the market's unstake delay."""
    return Call(Purpose.unstake_request(block, amount), (amount,))


def withdraw_stake(block: int, amount: int) -> Call:
    """Send home the unstaked `amount` (`render-worker unstake --withdraw`), seen unlocked at
    `block`."""
    return Call(Purpose.stake_withdrawal(block, amount))


def declare_hardware(block: int, hardware: Hardware) -> Call:
    """Declare what the worker renders on, where the chain's record at `block` says otherwise."""
    code = BACKEND_CODES[hardware.backend]
    return Call(Purpose.declaration(block, code, hardware.vram_mib), (code, hardware.vram_mib))
