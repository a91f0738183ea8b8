"""What each of the worker's transactions is for: the market function, and the job, seat and round
it answers. The sender stores a transaction under its purpose's key before it is broadcast and
never signs a purpose twice while its transaction stands (`render_worker/chain/sender.py`).

The key is what the database holds, in the format earlier workers wrote, so a worker upgraded in
place resumes the transactions it stored:

    <function>:<job>[:<worker>][:<round>][:<tag>]     commitBid:7, revealResults:7:0,
                                                     claimLate:7:0xW:0, attest:7:0xW:0:1a2b...,
                                                     reoffer:7:<latest round>
    withdraw:<block>:<balance>, stake:<tag>, filler:<nonce>     the worker's own account
    declareHardware:<block>:<backend code>:<MiB>
    requestUnstake:<block>:<amount>, withdrawStake:<block>:<amount>

and a reverted attempt, kept aside so that its purpose may be sent again, ends in `#<nonce>`.
"""

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """The market functions the worker sends, by their names in the contract, and `filler`: the
    empty transfer to itself that takes the nonce of a transaction not to be sent again."""

    COMMIT_BID = "commitBid"
    REVEAL_BID = "revealBid"
    SETTLE = "settle"
    RECLAIM_BOND = "reclaimBond"
    REOFFER = "reoffer"
    COMMIT_RESULTS = "commitResults"
    ABANDON_SEAT = "abandonSeat"
    DRAW_VERIFIER = "drawVerifier"
    REVEAL_RESULTS = "revealResults"
    SEAL_EVIDENCE = "sealEvidence"
    ATTEST = "attest"
    CLAIM_LATE = "claimLate"
    REPLACE_VERIFIER = "replaceVerifier"
    FINALIZE_REJECTION = "finalizeRejection"
    RELEASE = "release"
    OPEN_DISPUTE = "openDispute"
    DRAW_PANEL = "drawPanel"
    COMMIT_VOTE = "commitVote"
    REVEAL_VOTE = "revealVote"
    RESOLVE_DISPUTE = "resolveDispute"
    WITHDRAW = "withdraw"
    STAKE = "stake"
    DECLARE_HARDWARE = "declareHardware"
    REQUEST_UNSTAKE = "requestUnstake"
    WITHDRAW_STAKE = "withdrawStake"
    FILLER = "filler"


# Transactions about the worker's own account: no job.
ACCOUNT = frozenset(
    {
        Action.WITHDRAW, Action.STAKE, Action.DECLARE_HARDWARE, Action.REQUEST_UNSTAKE,
        Action.WITHDRAW_STAKE, Action.FILLER,
    }
)  # fmt: skip
# The hex digits of a draw's seed a verifier's purpose keeps (a key has 96 characters at most).
SEED_DIGITS = 16
RETIRED = "#"
_WORKER = re.compile(r"0x[0-9a-fA-F]{40}")


@dataclass(frozen=True)
class Purpose:
    """A transaction's purpose. `round` is the seat's verification round it answers (for
    `reoffer`, the job's latest round when it was sent: 0 for none); `tag` tells apart what the
    rest does not (a verifier's draw, by its seed's first digits); `retired` is the nonce of a
    reverted attempt kept under its own key."""

    action: Action
    job_id: int | None = None
    worker: str | None = None
    round: int | None = None
    tag: str = ""
    retired: int | None = None

    @property
    def key(self) -> str:
        """The key it is stored under."""
        parts = [self.action.value]
        parts += [] if self.job_id is None else [str(self.job_id)]
        parts += [] if self.worker is None else [self.worker]
        parts += [] if self.round is None else [str(self.round)]
        parts += [self.tag] if self.tag else []
        key = ":".join(parts)
        return key if self.retired is None else f"{key}{RETIRED}{self.retired}"

    @property
    def retired_prefix(self) -> str:
        """What the keys of this purpose's reverted attempts start with."""
        return f"{dataclasses.replace(self, retired=None).key}{RETIRED}"

    def retire(self, nonce: int) -> "Purpose":
        """The purpose of its reverted attempt with `nonce`, kept aside."""
        return dataclasses.replace(self, retired=nonce)

    @classmethod
    def parse(cls, key: str) -> "Purpose":
        """The purpose stored under `key`. Raises `ValueError` for a key the worker never writes."""
        head, mark, retired = key.partition(RETIRED)
        function, *parts = head.split(":")
        action = Action(function)
        if action in ACCOUNT:
            purpose = cls(action, tag=":".join(parts))
        else:
            job, *rest = parts or [""]
            worker = rest.pop(0) if rest and _WORKER.fullmatch(rest[0]) else None
            rnd = int(rest.pop(0)) if rest and rest[0].isdecimal() else None
            purpose = cls(action, int(job), worker, rnd, ":".join(rest))
        if mark:
            purpose = purpose.retire(int(retired))
        if purpose.key != key:
            raise ValueError(f"{key!r} is not a purpose key the worker writes")
        return purpose

    @classmethod
    def withdrawal(cls, block: int, balance: int) -> "Purpose":
        """Withdrawing `balance`, seen at `block` (once per balance seen)."""
        return cls(Action.WITHDRAW, tag=f"{block}:{balance}")

    @classmethod
    def declaration(cls, block: int, backend: int, vram_mib: int) -> "Purpose":
        """Declaring `backend` (its code) with `vram_mib`, when the chain's record at `block`
        said otherwise (once per record seen: hardware declared again later, after another, is
        sent anew)."""
        return cls(Action.DECLARE_HARDWARE, tag=f"{block}:{backend}:{vram_mib}")

    @classmethod
    def unstake_request(cls, block: int, amount: int) -> "Purpose":
        """Moving `amount` out of the stake, asked with the stake as read at `block` (once per
        request: the same command run twice on one block sends once)."""
        return cls(Action.REQUEST_UNSTAKE, tag=f"{block}:{amount}")

    @classmethod
    def stake_withdrawal(cls, block: int, amount: int) -> "Purpose":
        """Withdrawing the unstaked `amount`, seen unlocked at `block`."""
        return cls(Action.WITHDRAW_STAKE, tag=f"{block}:{amount}")

    @classmethod
    def filler(cls, nonce: int) -> "Purpose":
        """The empty transfer that takes `nonce` from a transaction not to be sent again."""
        return cls(Action.FILLER, tag=str(nonce))


def function_of(key: str) -> str:
    """The market function a stored key names, also in a key this worker cannot parse."""
    return key.partition(RETIRED)[0].partition(":")[0]


def seed_tag(seed: str) -> str:
    """The tag of a verifier's transaction for the draw of `seed`."""
    return seed.removeprefix("0x")[:SEED_DIGITS]
