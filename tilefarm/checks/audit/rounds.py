"""Every frame finishes: a posted job's tiles and reserve replayed through its re-offer rounds
(docs/protocol.md, "Rounds: every frame finishes").

Who holds each tile, event by event: on sale in the posted job while it bids, then held by the
seat that won it, paid, or back among the job's unsold tiles (unsold by its round, or returned
by a seat that ended late, rejected or unverified), then on sale in the round that re-offers it,
and so on. Every move must start where the tile is, so that no tile is ever held twice (by two
seats, or by a seat and the unsold tiles, or on sale twice) and no tile is paid twice. Each round
must re-offer exactly the unsold tiles, at the job's next maximum price, for the opener's bounty.

The reserve (the escrow no seat is owed), event by event with the contract's formulas: the
deposit; less each winner's tiles at its price with fee and verifier fee (`_assign`); plus what a
seat that delivers nothing gives back (`_returnTiles`), the late and lapsed workers' slashes and
the rest of the fraud slashes (`tilefarm.checks.audit.credits.Flows`) and the artist's top-ups; less
each opener's bounty; zero once the job is cancelled or completed. It never goes below zero, a
round opens only when it holds the round's tiles at the maximum price and the bounty, and it ends
equal to the contract's `reofferOf(id).reserve`; the unsold tiles end equal to `unsoldTiles(id)`.
"""

from collections import Counter
from dataclasses import dataclass, field

from tilefarm.adapters.chain import events as ev
from tilefarm.checks.audit.credits import Flows
from tilefarm.checks.audit.history import JobHistory
from tilefarm.checks.audit.report import Check
from tilefarm.checks.audit.rules import MAX_VERIFIER_ROUNDS, kept, quote, reoffer_bounty, returned

ZERO_ADDRESS = "0x" + "00" * 20
REJECTED, TIMED_OUT, UNVERIFIED = 9, 10, 12  # the contract's SeatState of a returned seat
FAILED_BY = {
    ev.ResultsRejected: REJECTED,
    ev.WorkerTimedOut: TIMED_OUT,
    ev.SeatAbandoned: TIMED_OUT,
    ev.VerifierDrawMissed: TIMED_OUT,
    ev.ResultsUnverified: UNVERIFIED,
}
UNSOLD = "unsold"

Seat = tuple[int, str]  # a round's job id and its worker


@dataclass
class _SeatState:
    first_tile: int
    tile_count: int
    price: int
    round: int = 0  # its verifier round, as the contract counts it
    verifier: bool = False  # a verifier drawn and not overruled
    failed: int | None = None  # the SeatState it ended in, when it delivers nothing


@dataclass
class Replay:
    """What the rules leave of the job's tiles and reserve, and where its events broke them."""

    reserve: int = 0
    next_max_price: int = 0
    unsold: list[tuple[int, int]] = field(default_factory=list)
    paid: Counter[int] = field(default_factory=Counter)  # tile -> payments released for it
    lowest_reserve: int = 0
    held: list[str] = field(default_factory=list)  # a tile moved from where it was not
    opened: list[str] = field(default_factory=list)  # a round opened against the rules
    rounds: int = 0


def replay(h: JobHistory, flows: Flows) -> Replay:
    """Replay `h`'s tiles and reserve (`flows`: what its rules move into the reserve)."""
    cfg = h.config
    fee_bps, bounty_bps = cfg.protocol_fee_bps, cfg.draw_bounty_bps
    vf = h.posted.params.verify_fee_per_tile
    slashes = Counter[tuple[int, int]]()
    for at, _, amount in flows.into_reserve:
        slashes[at] += amount
    kinds = h.dispute_kinds()
    out = Replay()
    holder: dict[int, str] = {}
    seats: dict[Seat, _SeatState] = {}
    kind_of: dict[Seat, str | None] = {}

    def move(e: ev.MarketEvent, first: int, count: int, where: str, to: str) -> None:
        wrong = [t for t in range(first, first + count) if holder.get(t) != where]
        if wrong:
            found = {holder.get(t, "nobody") for t in wrong}
            out.held.append(
                f"{type(e).__name__} at block {e.block_number} moves tiles {_span(wrong)} from "
                f"{where} to {to}, but {' / '.join(sorted(found))} held them"
            )
        for t in range(first, first + count):
            holder[t] = to

    for e in h.events:
        at = (e.block_number, e.log_index)
        key: Seat = (e.get("job_id", 0), e.get("worker", ""))
        if isinstance(e, ev.JobPosted):
            out.reserve = e.deposit
            out.next_max_price = e.params.max_price_per_tile
            for t in range(e.params.tile_count):
                holder[t] = _sale(e.job_id)
        elif isinstance(e, ev.JobCancelled):
            out.reserve = 0
            holder = {t: w for t, w in holder.items() if w != _sale(e.job_id)}
        elif isinstance(e, ev.TilesAssigned):
            seats[key] = _SeatState(e.first_tile, e.tile_count, e.price_per_tile)
            move(e, e.first_tile, e.tile_count, _sale(e.job_id), _seat(key))
            out.reserve -= kept(e.tile_count, e.price_per_tile, vf, fee_bps)
        elif isinstance(e, ev.BidsSettled):
            left = sorted(t for t, w in holder.items() if w == _sale(e.job_id))
            if left:
                out.held.append(f"job {e.job_id} settled with tiles {_span(left)} still on sale")
        elif isinstance(e, ev.TilesReturned):
            if e.worker == ZERO_ADDRESS:
                move(e, e.first_tile, e.tile_count, _sale(e.round_id), UNSOLD)
            else:
                seat_key = (e.round_id, e.worker)
                move(e, e.first_tile, e.tile_count, _seat(seat_key), UNSOLD)
                seat = seats.get(seat_key)
                if seat is None or seat.failed != e.cause:
                    out.held.append(
                        f"{e.worker}'s tiles in job {e.round_id} went back ({e.cause}), but its "
                        "seat did not end so"
                    )
                else:
                    out.reserve += returned(
                        seat.tile_count, seat.price, vf, fee_bps, bounty_bps, seat.round,
                        e.cause == REJECTED and seat.verifier,
                    )  # fmt: skip
            out.unsold.append((e.first_tile, e.tile_count))
        elif isinstance(e, ev.RoundOpened):
            _open(e, out, vf, fee_bps, bounty_bps)
            for first, count in e.tile_ranges():
                move(e, first, count, UNSOLD, _sale(e.round_id))
        elif isinstance(e, ev.JobToppedUp):
            if e.max_price_per_tile < out.next_max_price:
                out.opened.append(f"a top-up lowered the maximum price to {e.max_price_per_tile}")
            out.reserve += e.amount
            out.next_max_price = e.max_price_per_tile
        elif isinstance(e, ev.JobCompleted):
            out.reserve = 0
        elif isinstance(e, ev.PaymentReleased):
            seat = seats.get(key)
            if seat is not None:
                move(e, seat.first_tile, seat.tile_count, _seat(key), _paid(key))
                out.paid.update(range(seat.first_tile, seat.first_tile + seat.tile_count))
        elif isinstance(e, ev.VerifierDrawn) and key in seats:
            seats[key].verifier = True
        elif isinstance(e, ev.VerifierReplaced) and key in seats:
            if e.round < MAX_VERIFIER_ROUNDS:  # the last replacement leaves the seat's round
                seats[key].round = e.round
                seats[key].verifier = False
        elif isinstance(e, ev.DisputeOpened):
            kind_of[key] = kinds.get(at)
        elif isinstance(e, ev.DisputeResolved) and key in seats:
            kind = kind_of.get(key)
            if kind != "challenge" and (kind == "appeal") != e.fraud:
                seats[key].verifier = False  # overruled: it forfeits its fee
        if type(e) in FAILED_BY and key in seats:
            seats[key].failed = FAILED_BY[type(e)]
        out.reserve += slashes.pop(at, 0)
        out.lowest_reserve = min(out.lowest_reserve, out.reserve)
    return out


def _open(e: ev.RoundOpened, out: Replay, vf: int, fee_bps: int, bounty_bps: int) -> None:
    """The contract's `reoffer`: every unsold tile, at the next maximum price, for the bounty,
    when the reserve holds them all."""
    out.rounds += 1
    problems = []
    ranges = e.tile_ranges()
    if ranges != out.unsold:
        problems.append(f"it sells {ranges}, but the unsold tiles were {out.unsold}")
    if e.tiles != sum(count for _, count in ranges):
        problems.append(f"it says {e.tiles} tiles, but its ranges hold {ranges}")
    if e.max_price_per_tile != out.next_max_price:
        problems.append(
            f"its maximum price is {e.max_price_per_tile}, not the job's {out.next_max_price}"
        )
    bounty = reoffer_bounty(e.tiles, vf, bounty_bps)
    if e.bounty != bounty:
        problems.append(f"its opener earned {e.bounty}, not {bounty}")
    needed = quote(e.tiles, e.max_price_per_tile, vf, fee_bps) + bounty
    if out.reserve < needed:
        problems.append(f"the reserve held {out.reserve}, less than the {needed} it needs")
    out.opened += [f"round {e.round} (job {e.round_id}): {p}" for p in problems]
    out.unsold = []
    out.reserve -= e.bounty


def round_checks(h: JobHistory, flows: Flows, replayed: Replay | None = None) -> list[Check]:
    """The job's tiles and reserve through its rounds, checked (see the module's docstring;
    `replayed`: `replay(h, flows)`, when the caller has it already)."""
    r = replayed or replay(h, flows)
    checks = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append(Check(kind="rounds", name=name, ok=ok, detail=detail))

    twice = sorted(t for t, n in r.paid.items() if n > 1)
    check(
        "no tile is paid twice",
        not twice,
        f"tiles {_span(twice)} were paid more than once"
        if twice
        else f"{len(r.paid)} tile(s) paid, each once, over {r.rounds + 1} sale(s)",
    )
    check(
        "no tile is held twice",
        not r.held,
        "; ".join(r.held)
        or "every tile was on sale in one round, held by one seat, paid, or among the unsold "
        "tiles, never two of these",
    )
    if r.rounds:
        check(
            "each round re-offers the unsold tiles for its bounty",
            not r.opened,
            "; ".join(r.opened)
            or f"{r.rounds} round(s), each over every unsold tile at the job's maximum price, "
            "its opener paid its bounty out of a reserve that held them",
        )
    elif r.opened:
        check("the artist's top-ups follow the rules", False, "; ".join(r.opened))
    problems = []
    if r.lowest_reserve < 0:
        problems.append(f"it fell to {r.lowest_reserve}")
    if h.reoffer is not None and h.reoffer.reserve != r.reserve:
        problems.append(
            f"the contract's reserve is {h.reoffer.reserve}, the rules leave {r.reserve}"
        )
    if h.unsold is not None and h.unsold != r.unsold:
        problems.append(f"the contract's unsold tiles are {h.unsold}, the rules leave {r.unsold}")
    check(
        "the reserve and unsold tiles are what the rules leave",
        not problems,
        "; ".join(problems) or f"reserve {r.reserve} wei, unsold tiles {r.unsold or 'none'}",
    )
    return checks


def _sale(job_id: int) -> str:
    return f"on sale in job {job_id}"


def _seat(key: Seat) -> str:
    return f"{key[1]}'s seat in job {key[0]}"


def _paid(key: Seat) -> str:
    return f"paid to {key[1]} in job {key[0]}"


def _span(tiles: list[int]) -> str:
    """Tile indices as short ranges: `3..5, 9`."""
    parts: list[str] = []
    for t in sorted(tiles):
        if parts and parts[-1].split("..")[-1] == str(t - 1):
            parts[-1] = f"{parts[-1].split('..')[0]}..{t}"
        else:
            parts.append(str(t))
    return ", ".join(parts)
