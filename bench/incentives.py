"""Incentives: `python -m bench.incentives` prints JSON, one entry per deviation from honest play.

For every deviation the verification game must make unprofitable (docs/protocol.md, "Why each known
deviation loses"), it says whether the contracts allow it at all and, if they do, the deviator's
expected profit next to what honest play earns in the same seat, at the public-network parameters
(`tilefarm.adapters.chain.remote.production_market_config`) and at the devnet's
(`tilefarm.adapters.chain.deploy.devnet_market_config`). The money rules are the contract's, written
out below once each (collateral, slashes, bounties, bonds); the probability that a faked seat is
caught is what `python -m bench.fraud` measured (docs/verification.md), taken at a conservative
bound: no cheat was missed in 2000 of 2000 jobs, so the miss rate is below 3/2000 with 95%
confidence (the rule of three), and the worst strategy on the tuning seed was caught 99.9% of the
time.

The reference seat: 16 tiles at the job's maximum price of 10^15 wei a tile, which costs its worker
80% of the price to render (a 20% margin); the verifier fee is 6x10^13 wei a tile and a verification
costs 5% of the seat's render cost (measured: 4.6-4.8% of the job's render CPU time). The worker
stakes the minimum plus the seat's collateral. Gas is not counted in profits (it only makes every
deviation that sends more transactions worse), except for flooding, which is nothing but gas.

`--json` is accepted for symmetry with the other benchmarks; the output is always JSON.
"""

import json
import sys
from dataclasses import dataclass
from typing import Any

from tilefarm.adapters.chain.deploy import devnet_market_config
from tilefarm.adapters.chain.records import MarketConfig, record
from tilefarm.adapters.chain.remote import production_market_config

BPS = 10_000
TREASURY = "0x" + "11" * 20

# Detection of a seat faked in the ways bench.fraud tries (blank, noise, wrong seed, fewer samples,
# upscaled, copied tiles): 2000 of 2000 caught, so the miss rate is below 3/2000 (95% bound).
DETECT_WHOLE = 1 - 3 / 2000
# 10% of the area faked in one block: 2000 of 2000 caught on the benchmark seed, 99.9% of the
# quarter-sample blocks on the tuning seed; the smaller of the two bounds.
DETECT_TENTH = 0.999
# A worker that says a GPU rendered its tiles is judged by the cross-device envelope. The lowest
# detection bench.crossdevice measured under it, on its glass, volume and motion-blur scene: the
# whole frame rendered with a wrong seed (saves nothing) 58%, at a quarter of the samples (saves
# three quarters) 64%, a tenth of the area at a quarter of the samples 16%.
DETECT_ENVELOPE_WHOLE = 0.58
DETECT_ENVELOPE_TENTH = 0.16
# Draws and a panel's first seat take, of three uniform candidates, the first of the worker's
# declared backend: accounts of a backend nobody else declares are drawn 1 - (1 - q)^3 of the time.
PREFERRED_DRAW_TRIES = 3

TILES = 16
PRICE = 10**15
COST = PRICE * 8 // 10  # the worker's render cost per tile
FEE = 6 * 10**13  # verifier fee per tile: 7.5% of the render cost, above a verification's 5%
VERIFY_COST = TILES * COST * 5 // 100  # one verification's patch renders
GAS_PRICE = 10**9  # 1 gwei, for the one deviation made only of gas
BID_GAS = 180_000  # a commit and a reveal (bench.gas: about 58k + 119k)
SYBIL_SHARE = 0.10  # the share of the verifier pool a deviator's other accounts hold
SPREAD = 0.05  # how far apart a selective revealer places its two prices, of the maximum price
DISPUTER_RIGHT = 0.9  # the share of disputes the disputer wins, as a lazy panel member guesses it
# The share of passes that contradict their own evidence which somebody challenges. A challenge is
# a render-free check that earns the verifier's slash less the panel's fee, and every worker daemon
# makes it by default; half is a deliberately low guess, and the entry says the break-even share.
CHALLENGE_RATE = 0.5


@dataclass(frozen=True)
class Seat:
    """The reference seat under one market's parameters."""

    cfg: MarketConfig

    @property
    def pay(self) -> int:
        return TILES * PRICE

    @property
    def collateral(self) -> int:
        return self.cfg.collateral(TILES, PRICE)

    @property
    def stake(self) -> int:
        return self.cfg.min_stake + self.collateral

    @property
    def fraud_loss(self) -> int:
        """What proven fraud takes: the collateral and `fraudSlashBps` of the rest of the stake
        (the pay itself is never released)."""
        rest = self.stake - self.collateral
        return self.collateral + rest * self.cfg.fraud_slash_bps // BPS

    @property
    def late_loss(self) -> int:
        return self.stake * self.cfg.late_slash_bps // BPS

    @property
    def bounty(self) -> int:
        return TILES * FEE * self.cfg.draw_bounty_bps // BPS

    @property
    def verifier_fee(self) -> int:
        return TILES * FEE - self.bounty

    @property
    def honest_worker(self) -> int:
        return self.pay - TILES * COST

    @property
    def honest_verifier(self) -> int:
        return self.verifier_fee - VERIFY_COST


def _entry(
    name: str,
    findings: list[int],
    possible: bool,
    profit: float,
    honest: int,
    why: str,
    **more: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "findings": findings,
        "possible": possible,
        "expected_profit_wei": int(profit),
        "honest_profit_wei": honest,
        "loses": (not possible) or profit < honest,
        "why": why,
        **more,
    }


def _faked(seat: Seat, detect: float, saved: int) -> float:
    """Expected profit of a worker whose seat is caught with probability `detect` and whose
    render cost was only `TILES * COST - saved`."""
    spent = TILES * COST - saved
    return (1 - detect) * seat.pay - detect * seat.fraud_loss - spent


def _break_even_detection(seat: Seat, saved: int) -> float:
    """The detection below which saving `saved` of the render cost pays more than honest work:
    (1 - d) pay - d loss - (cost - saved) = pay - cost."""
    return saved / (seat.pay + seat.fraud_loss)


def deviations(cfg: MarketConfig) -> list[dict[str, Any]]:
    """Every deviation at the parameters `cfg`."""
    seat = Seat(cfg)
    fake_all = _faked(seat, DETECT_WHOLE, TILES * COST)
    q = SYBIL_SHARE
    steer = q * seat.pay - (1 - q) * DETECT_WHOLE * seat.fraud_loss
    # Steering pays once q*pay - (1-q)*loss > honest: the pool share a deviator would need.
    break_even = (seat.honest_worker + seat.fraud_loss) / (seat.pay + seat.fraud_loss)
    preferred = 1 - (1 - q) ** PREFERRED_DRAW_TRIES
    steer_rare = preferred * seat.pay - (1 - preferred) * DETECT_WHOLE * seat.fraud_loss
    # The pool share p with 1 - (1 - p)^3 equal to the uniform draw's break-even share.
    rare_break_even = 1 - (1 - break_even) ** (1 / PREFERRED_DRAW_TRIES)
    whole_break_even = _break_even_detection(seat, TILES * COST * 3 // 4)
    tenth_break_even = _break_even_detection(seat, TILES * COST * 3 // 40)
    silent_slash = seat.stake * cfg.silence_slash_bps // BPS
    bond = cfg.min_bid_bond(TILES, PRICE)
    selective_gain = SPREAD * PRICE * TILES
    forfeit = cfg.collateral(TILES, PRICE)  # what the unrevealed bid locked, at the maximum price
    flood = -64 * BID_GAS * GAS_PRICE
    # A panel member's share of the panel's fee (the losing disputer's bond, three who reveal).
    member_fee = cfg.dispute_bond // 3
    # A lazy verifier stakes the minimum; an overturned verdict costs it this and its fee.
    verifier_slash = cfg.min_stake * cfg.false_accusation_slash_bps // BPS
    c = CHALLENGE_RATE
    lazy_pass = (1 - c) * seat.verifier_fee - c * verifier_slash
    lazy_fail = -verifier_slash  # the honest worker appeals and the panel re-renders
    lazy_silent = -(cfg.min_stake * cfg.silence_slash_bps // BPS)
    lazy_best = max(lazy_pass, lazy_fail, lazy_silent)
    challenge_break_even = seat.verifier_fee / (seat.verifier_fee + verifier_slash)
    lazy_break_even = 1 - VERIFY_COST / cfg.dispute_bond
    return [
        _entry(
            "skip the draw",
            [1],
            True,
            -seat.late_loss - TILES * COST,
            seat.honest_worker,
            "a seat without a verdict is never paid; anyone draws for the bounty, and if nobody "
            "does the seat lapses and the worker is slashed (its best case; a drawn verifier "
            "catches a fake as in 'fake all tiles')",
        ),
        _entry(
            "preview the draw and re-roll it by waiting",
            [1, 7],
            False,
            fake_all,
            seat.honest_worker,
            "an expired anchor lapses the seat (slashed, unpaid) and replaceVerifier refuses a "
            "seat nobody drew: there is no second roll",
        ),
        _entry(
            "steer the draw to a sybil verifier",
            [2],
            True,
            steer,
            seat.honest_worker,
            f"the compact pool is sampled uniformly: accounts holding {q:.0%} of the pool are "
            f"drawn {q:.0%} of the time; faking everything pays only above a "
            f"{break_even:.0%} share of the pool",
            sybil_pool_share=q,
            break_even_pool_share=round(break_even, 4),
        ),
        _entry(
            "declare a rare backend so that its sybil verifiers are preferred",
            [2],
            True,
            steer_rare,
            seat.honest_worker,
            f"the draw prefers the worker's declared backend among {PREFERRED_DRAW_TRIES} uniform "
            f"candidates: sybils holding {q:.0%} of the pool, alone on that backend, are drawn "
            f"{preferred:.1%} of the time; faking everything pays only above a "
            f"{rare_break_even:.0%} share of the pool",
            sybil_pool_share=q,
            drawn_share=round(preferred, 4),
            break_even_pool_share=round(rare_break_even, 4),
        ),
        _entry(
            "claim a GPU and render every tile at a quarter of the samples",
            [3],
            True,
            _faked(seat, DETECT_ENVELOPE_WHOLE, TILES * COST * 3 // 4),
            seat.honest_worker,
            "judged by the cross-device envelope, caught in 58-64% of jobs on a volume scene "
            f"(bench.crossdevice); pays only below {whole_break_even:.1%} detection",
            detection=DETECT_ENVELOPE_WHOLE,
            break_even_detection=round(whole_break_even, 4),
        ),
        _entry(
            "claim a GPU and render 10% of the area at a quarter of the samples",
            [3],
            True,
            _faked(seat, DETECT_ENVELOPE_TENTH, TILES * COST * 3 // 40),
            seat.honest_worker,
            "judged by the cross-device envelope, caught in 16% of jobs on a volume scene "
            f"(bench.crossdevice); pays only below {tenth_break_even:.2%} detection",
            detection=DETECT_ENVELOPE_TENTH,
            break_even_detection=round(tenth_break_even, 4),
        ),
        _entry(
            "fake all tiles",
            [3],
            True,
            fake_all,
            seat.honest_worker,
            "caught with probability >= 99.85%; the pay is held until the contest window "
            "closes, and proven fraud takes the collateral and part of the stake",
            detection=DETECT_WHOLE,
        ),
        _entry(
            "fake 10% of the tiles' pixels",
            [3],
            True,
            _faked(seat, DETECT_TENTH, TILES * COST // 10),
            seat.honest_worker,
            "saves a tenth of the render cost, caught with probability >= 99.9%",
            detection=DETECT_TENTH,
        ),
        _entry(
            "run four frauds at once",
            [3],
            True,
            4 * fake_all,
            4 * seat.honest_worker,
            "each seat locks its own collateral: four seats risk four collaterals",
        ),
        _entry(
            "unstake, then cheat",
            [5],
            False,
            fake_all,
            seat.honest_worker,
            "collateral of revealed bids and open seats is locked: it cannot be unstaked",
        ),
        _entry(
            "stay silent as a drawn verifier",
            [10],
            True,
            -silent_slash,
            seat.honest_verifier,
            "the silent verifier loses silenceSlashBps of its stake to the waiting worker and "
            "earns nothing",
        ),
        _entry(
            "flood the bid slots",
            [4],
            False,
            flood,
            seat.honest_worker,
            "only staked accounts may commit and commits are not capped; the 64 best reveals "
            "are kept, so a cheaper honest bid evicts the flood's: the flood wins nothing and "
            "pays its gas",
            gas_price_wei=GAS_PRICE,
        ),
        _entry(
            "reveal selectively (two accounts, two prices)",
            [9],
            True,
            selective_gain - bond - forfeit,
            0,
            f"the better of two prices {SPREAD:.0%} of the maximum apart gains at most that "
            "spread on the seat's tiles; the unrevealed account forfeits its bid bond and the "
            "collateral its sealed bid locked: its tiles at the maximum price, more than any "
            "spread can gain (collateralBps is at least 100 %)",
            bid_bond_wei=bond,
            forfeited_collateral_wei=forfeit,
            spread=SPREAD,
        ),
        _entry(
            "dodge the verifier fee by front-running its pass with acceptResults",
            [8],
            False,
            0,
            0,
            "the verifier's fee is owed from the draw: accepting first saves the artist nothing "
            f"(the verifier still gets {seat.verifier_fee} wei)",
        ),
        _entry(
            "choose the tie-break by the bidding address",
            [12],
            False,
            0,
            0,
            "equal prices are ordered by a hash of a seed from after the bids were sealed",
        ),
        _entry(
            "deploy with impossible parameters",
            [11],
            False,
            0,
            0,
            "the constructor refuses them with InvalidConfig",
        ),
        _entry(
            "keep the protocol fee and counters of a proven fraud",
            [13],
            False,
            0,
            0,
            "fees and tilesAccepted are counted at release, which a proven fraud never reaches",
        ),
        _entry(
            "pass without rendering (lazy verifier)",
            [3],
            True,
            lazy_best,
            seat.honest_verifier,
            "verification is blind: the verifier seals its evidence before the worker reveals a "
            "tile, so without rendering it can only seal evidence it made up. Passing then "
            "contradicts that evidence and any watcher earns the verifier's slash by challenging "
            f"(assumed {c:.0%} of the time; laziness pays only below {challenge_break_even:.2%}); "
            "failing honest work is appealed and overturned; staying silent is slashed",
            challenge_rate=c,
            break_even_challenge_rate=round(challenge_break_even, 4),
            if_it_passes_wei=int(lazy_pass),
            if_it_fails_wei=int(lazy_fail),
            if_it_stays_silent_wei=int(lazy_silent),
        ),
        _entry(
            "hide the results after the verifier sealed (worker)",
            [3],
            True,
            -seat.fraud_loss - TILES * COST,
            seat.honest_worker,
            "a worker that does not reveal its results list within the window after the seal is "
            "rejected as a fraud: hiding fake tiles costs what being caught costs",
        ),
        _entry(
            "vote fraud on honest work (panel)",
            [6],
            True,
            member_fee - cfg.dispute_bond,
            member_fee - VERIFY_COST,
            "votes are sealed, so the other members vote what they rendered: the fraud vote is "
            "outvoted and loses up to a dispute bond of its stake to them, keeping only its "
            "share of the panel's fee",
            dispute_bond_wei=cfg.dispute_bond,
        ),
        _entry(
            "copy another member's vote (panel)",
            [6],
            False,
            member_fee,
            member_fee - VERIFY_COST,
            "reveals open only once every member sealed its vote or the commit window closed, "
            "and a sealed vote cannot be changed (VoteMismatch)",
        ),
        _entry(
            "stay silent on a panel",
            [6, 10],
            True,
            -cfg.dispute_bond,
            member_fee - VERIFY_COST,
            "a member that does not reveal earns no fee and loses up to a dispute bond of its "
            "stake to the members who voted for the outcome",
        ),
        _entry(
            "vote for the disputer without re-rendering (lazy panel member)",
            [6],
            True,
            member_fee - (1 - DISPUTER_RIGHT) * cfg.dispute_bond,
            member_fee - VERIFY_COST,
            f"right when the disputer is ({DISPUTER_RIGHT:.0%} assumed), outvoted otherwise: it "
            f"pays only where disputers are right more than {lazy_break_even:.2%} of the time, "
            "and there a wrong disputer loses its bond, so the share is set by who disputes",
            disputer_right_share=DISPUTER_RIGHT,
            break_even_disputer_right_share=round(lazy_break_even, 4),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    del argv  # only JSON is printed
    report: dict[str, Any] = {
        "reference_seat": {"tiles": TILES, "price_per_tile_wei": PRICE,
                           "render_cost_per_tile_wei": COST, "verify_fee_per_tile_wei": FEE,
                           "verification_cost_wei": VERIFY_COST},
        "public": {"deviations": deviations(production_market_config(TREASURY))},
        "devnet": {"deviations": deviations(record(MarketConfig, devnet_market_config(TREASURY)))},
    }  # fmt: skip
    report["deviations"] = report["public"]["deviations"]
    report["all_lose"] = all(
        d["loses"] for net in ("public", "devnet") for d in report[net]["deviations"]
    )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
