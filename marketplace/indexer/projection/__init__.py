"""Applying market events to the read tables, mirroring the contract's own bookkeeping.

Each handler does to the job, seat, dispute and account rows what the contract did to its storage
when it emitted the event, so that the views equal `job()`, `reofferOf()`, `unsoldTiles()`,
`offeredTiles()`, `seat()`, `dispute()`, `account()` and `balanceOf()` read from the chain. A
re-offer round is a job row of its own whose money its posted job holds (`Rows._funds`). It also
writes the money ledger: every wei that enters a posted job (deposit, top-ups, bid bonds, dispute
bonds, slashed stake) and every wei credited out of it, to whom and why, each entry naming the
round it belongs to. Several transfers are not in any event's arguments (a revealed bid's bond
back, the failing verifier's fee on a rejection, the shares of a slash among honest verifiers and
the rest into the reserve, a silent verifier's slash to the waiting worker, a dispute bond back to
a disputer that won, the panel's fee taken out of the loser's slash, a contradicted verifier's
slash to its challenger, what a failed seat's escrow returns to the reserve); they are recomputed
here with the contract's own formulas from the config and the rows. What an event does state is
read from it (a panel's pay: `PanelPaid`).

Events of one transaction arrive in emission order, so a handler may rely on what earlier events
of the same transaction did (a `DisputeResolved` precedes the `Slashed` of the lying verifier,
and the panel members' votes precede the `PanelPaid` that pays them).
"""

from marketplace.indexer.projection.bidding import BiddingRules
from marketplace.indexer.projection.disputes import DisputeRules
from marketplace.indexer.projection.escrow import EscrowRules
from marketplace.indexer.projection.registry import RegistryRules
from marketplace.indexer.projection.results import ResultsRules
from marketplace.indexer.projection.rounds import RoundRules
from marketplace.indexer.projection.stored import Position, address_of, loaded, stored
from tilefarm.adapters.chain import events as ev
from tilefarm.errors import TilefarmError

__all__ = [
    "HANDLERS", "Position", "Projector", "UnknownMarketEvent", "address_of", "loaded", "stored",
]  # fmt: skip


class UnknownMarketEvent(TilefarmError):
    """The market emitted an event the indexer has no projection rule for."""


# Which method of `Projector` applies each event.
HANDLERS: dict[type[ev.MarketEvent], str] = {
    ev.Staked: "_staked",
    ev.UnstakeRequested: "_unstake_requested",
    ev.StakeWithdrawn: "_stake_withdrawn",
    ev.Slashed: "_slashed",
    ev.HardwareDeclared: "_hardware_declared",
    ev.JobPosted: "_job_posted",
    ev.JobCancelled: "_job_cancelled",
    ev.JobCompleted: "_job_completed",
    ev.Withdrawn: "_withdrawn",
    ev.BidCommitted: "_bid_committed",
    ev.BidRevealed: "_bid_revealed",
    ev.TilesAssigned: "_tiles_assigned",
    ev.BidOutbid: "_bid_outbid",
    ev.BidsSettled: "_bids_settled",
    ev.BondReclaimed: "_bond_reclaimed",
    ev.BidForfeited: "_bid_forfeited",
    ev.TilesReturned: "_tiles_returned",
    ev.RoundOpened: "_round_opened",
    ev.JobToppedUp: "_job_topped_up",
    ev.ReofferingEnded: "_reoffering_ended",
    ev.ResultsCommitted: "_results_committed",
    ev.EvidenceSealed: "_evidence_sealed",
    ev.ResultsRevealed: "_results_revealed",
    ev.VerifierDrawn: "_verifier_drawn",
    ev.VerifierDrawMissed: "_verifier_draw_missed",
    ev.ResultsAttested: "_results_attested",
    ev.ResultsAccepted: "_results_accepted",
    ev.PaymentReleased: "_payment_released",
    ev.ResultsUnverified: "_results_unverified",
    ev.ResultsRejected: "_results_rejected",
    ev.WorkerTimedOut: "_worker_timed_out",
    ev.SeatAbandoned: "_seat_abandoned",
    ev.VerifierReplaced: "_verifier_replaced",
    ev.DisputeOpened: "_dispute_opened",
    ev.PanelDrawn: "_panel_drawn",
    ev.VoteCommitted: "_vote_committed",
    ev.VoteCast: "_vote_cast",
    ev.DisputeResolved: "_dispute_resolved",
    ev.PanelPaid: "_panel_paid",
}


class Projector(RegistryRules, EscrowRules, BiddingRules, RoundRules, ResultsRules, DisputeRules):
    """Applies decoded events to the read tables of one session (one rule module per part of the
    contract, as in `contracts/market/`)."""

    def apply(self, event: ev.MarketEvent, at: Position) -> None:
        """Apply one event (whose raw row the caller stores)."""
        name = HANDLERS.get(type(event))
        if name is None:
            # Stop rather than skip: views that silently miss an event would lie about money.
            raise UnknownMarketEvent(
                f"the indexer has no rule for {type(event).__name__} (block {at.block_number}); "
                "add one to marketplace.indexer.projection before indexing this market"
            )
        getattr(self, name)(event, at)
