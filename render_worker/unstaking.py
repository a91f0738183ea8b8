"""Taking stake out of the market, as the contract allows it: a request moves an amount out of
the bonded stake (it stays slashable), and after the market's unstake delay a withdrawal sends it
home. A new request restarts the delay for everything unstaking (`IWorkerRegistry.requestUnstake`).

Everything here reads the chain's own clock (the latest block's time), never this machine's: the
contract compares `unlockAt` with `block.timestamp`, and a test chain's clock may run ahead."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from render_worker.errors import WorkerError
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.amounts import duration_text, eth_text

WITHDRAW_COMMAND = "render-worker unstake --withdraw"


@dataclass(frozen=True)
class StakeView:
    """An account's stake as the market holds it, at block `block`, whose time is `now`."""

    address: str
    stake: int  # bonded, including `locked`
    locked: int  # collateral of revealed bids and open seats
    unstaking: int  # requested out, withdrawable at `unlock_at`
    unlock_at: int
    duties: int  # drawn verifications whose verdict is not final yet
    min_stake: int
    delay: int  # the market's unstake delay in seconds
    block: int
    now: int

    @property
    def free(self) -> int:
        """What a request may move out now."""
        return self.stake - self.locked

    @property
    def unlocked(self) -> bool:
        return self.unstaking > 0 and self.now >= self.unlock_at


def read_stake(market: JobMarketClient, address: str) -> StakeView:
    """The stake of `address` and the market's terms, read from the chain."""
    account = market.account(address)
    config = market.config()
    latest = market.w3.eth.get_block("latest")
    return StakeView(
        address=address, stake=account.stake, locked=account.locked,
        unstaking=account.unstaking, unlock_at=account.unlock_at, duties=account.duties,
        min_stake=config.min_stake, delay=config.unstake_delay, block=int(latest["number"]),
        now=int(latest["timestamp"]),
    )  # fmt: skip


def utc(timestamp: int) -> str:
    """A chain timestamp as a date and time in UTC."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def request_amount(view: StakeView, amount: int | None) -> int:
    """The wei a request moves out (`None`: all the free stake); refuses what the market would,
    saying what is staked, what is locked and what may go."""
    if view.stake == 0:
        raise WorkerError(f"{view.address} has no stake: nothing to unstake")
    if amount is None:
        amount = view.free
        if amount == 0:
            raise WorkerError(
                f"all of the {eth_text(view.stake)} stake is locked as collateral of open bids and "
                "seats; it can be unstaked once they are paid or ended"
            )
    if amount > view.free:
        locked = ""
        if view.locked:
            locked = (
                f", of which {eth_text(view.locked)} is locked as collateral of open bids and "
                "seats until they are paid or ended"
            )
        raise WorkerError(
            f"cannot unstake {eth_text(amount)}: the stake is {eth_text(view.stake)}{locked}; at "
            f"most {eth_text(view.free)} can be unstaked now"
        )
    return amount


def restart_notice(view: StakeView, amount: int) -> str | None:
    """What a new request would do to what is already unstaking (None when nothing is): the
    contract moves the date of all of it to the new one."""
    if view.unstaking == 0:
        return None
    total, unlock = eth_text(view.unstaking + amount), utc(view.now + view.delay)
    if view.unlocked:
        now = (
            f"{eth_text(view.unstaking)} unstaked earlier is unlocked since {utc(view.unlock_at)}: "
            f"withdraw it first with `{WITHDRAW_COMMAND}`, or"
        )
    else:
        now = (
            f"{eth_text(view.unstaking)} is already unstaking, unlocked at {utc(view.unlock_at)} "
            f"(in {duration_text(view.unlock_at - view.now)}), and"
        )
    return (
        f"{now} a new request restarts the delay for all of it: {total} would unlock at about "
        f"{unlock} (in {duration_text(view.delay)})"
    )


def below_minimum(view: StakeView, amount: int) -> str | None:
    """What staying below the market's minimum costs the worker (None if it stays above)."""
    left = view.stake - amount
    if left >= view.min_stake:
        return None
    return (
        f"the stake left, {eth_text(left)}, is below the market's minimum of "
        f"{eth_text(view.min_stake)}: this worker cannot bid and is not drawn as a verifier "
        "until it stakes again"
    )


def withdraw_wait(view: StakeView) -> str | None:
    """Why nothing can be withdrawn now (None when the withdrawal would go through)."""
    if view.unstaking == 0:
        return "nothing is unstaking; `render-worker unstake AMOUNT` requests it"
    if not view.unlocked:
        return (
            f"{eth_text(view.unstaking)} is unstaking; it unlocks at {utc(view.unlock_at)} (in "
            f"{duration_text(view.unlock_at - view.now)}): nothing sent"
        )
    if view.duties:
        return (
            f"{eth_text(view.unstaking)} is unlocked, but this worker is a drawn verifier or panel "
            f"member of {view.duties} verification(s) without a final verdict yet: keep the "
            "worker running until they are final, then withdraw: nothing sent"
        )
    return None


def state_line(view: StakeView) -> str:
    """The stake in one line: what is bonded, locked, and unstaking until when."""
    line = f"stake {eth_text(view.stake)}"
    if view.locked:
        line += f" ({eth_text(view.locked)} locked as collateral)"
    if view.unstaking == 0:
        return line + "; nothing unstaking"
    if view.unlocked:
        unstaked = eth_text(view.unstaking)
        return line + f"; {unstaked} unstaked, withdraw it with `{WITHDRAW_COMMAND}`"
    return line + (
        f"; {eth_text(view.unstaking)} unstaking, withdraw it after {utc(view.unlock_at)} "
        f"(in {duration_text(view.unlock_at - view.now)})"
    )


def stake_json(view: StakeView) -> dict[str, Any]:
    """The view for `--json`: amounts in wei, the unlock time in ISO 8601 (UTC)."""
    unlock = None
    if view.unstaking:
        unlock = datetime.fromtimestamp(view.unlock_at, UTC).isoformat()
    return {
        "address": view.address,
        "stake_wei": view.stake,
        "locked_wei": view.locked,
        "free_wei": view.free,
        "unstaking_wei": view.unstaking,
        "unlock_at": unlock,
        "unlock_in_seconds": max(0, view.unlock_at - view.now) if view.unstaking else None,
        "unlocked": view.unlocked,
        "open_duties": view.duties,
        "chain_time": datetime.fromtimestamp(view.now, UTC).isoformat(),
    }


def explain_revert(exc: ContractReverted) -> WorkerError:
    """The market's refusal of a request or withdrawal (the chain changed after it was read:
    the running worker locked collateral, a slash) in the operator's terms."""
    args = exc.error_args
    if exc.error == "UnstakeExceedsFreeStake":
        free = int(args["stake"]) - int(args["locked"])
        return WorkerError(
            f"the market refused to unstake {eth_text(int(args['amount']))}: the stake is "
            f"{eth_text(int(args['stake']))}, {eth_text(int(args['locked']))} of it locked as "
            f"collateral; at most {eth_text(free)} can be unstaked now"
        )
    if exc.error == "StakeLocked":
        return WorkerError(f"the unstaked ETH is locked until {utc(int(args['unlockAt']))}")
    if exc.error == "DutiesOpen":
        return WorkerError(
            f"the market refused the withdrawal: {args['duties']} verification duty(ies) are "
            "open; keep the worker running until their verdicts are final"
        )
    if exc.error == "NothingToWithdraw":
        return WorkerError("nothing is unstaking: nothing to withdraw")
    return WorkerError(str(exc))
