// One sentence per market event, for a job's timeline.
import type { DisputeKind } from "./disputes";
import { eth, short } from "./format";
import { returnCause, roundName, tileRange } from "./rounds";
import { type CauseTexts, givenText } from "./tiles";
import type { ChainEvent } from "./types";

// The contract's SlashReason, by value.
const SLASH_REASONS = [
  "fraud",
  "late",
  "overruled verdict",
  "silent verifier or panel member",
  "outvoted on a panel",
  "sealed bid never revealed",
];

const isZero = (x: unknown) => typeof x !== "string" || /^0x0*$/i.test(x);
const same = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

const clock = (unix: unknown) => new Date(Number(unix) * 1000).toLocaleTimeString();

/** `kind`: the dispute an event belongs to (`disputeKinds`), where it matters to the sentence;
 * `rounds`: the round number of each job id of the family (`roundNumbers`), to name rounds;
 * `causes`: the server's words for why seats were given back; `given`: for tiles going back, the
 * cause their seat was given back for, when it was (`SeatAbandoned`). */
export function describe(
  e: ChainEvent,
  kind?: DisputeKind,
  rounds: ReadonlyMap<number, number> = new Map(),
  causes: CauseTexts = new Map(),
  given?: number,
): string {
  const a = e.args;
  const who = (x: unknown) => (typeof x === "string" ? short(x) : "?");
  switch (e.name) {
    case "JobPosted":
      return `Posted by ${who(a.artist)}, ${eth(a.deposit)} in escrow`;
    case "BidCommitted":
      return `Sealed bid from ${who(a.bidder)} for ${a.tile_count} tiles`;
    case "BidForfeited":
      return `${who(a.bidder)} never revealed its bid: ${eth(a.slashed)} of its collateral forfeited to you`;
    case "BidRevealed":
      return `${who(a.bidder)} revealed ${eth(a.price_per_tile)} per tile for ${a.tile_count} tiles`;
    case "BidOutbid":
      return `${who(a.bidder)} was outbid`;
    case "BidsSettled": {
      const bonds =
        a.artist_refund && String(a.artist_refund) !== "0"
          ? `; ${eth(a.artist_refund)} of unrevealed bids' bonds to you`
          : "";
      return Number(a.assigned_tiles) === 0
        ? `Bidding settled: no tile sold${bonds}`
        : `Bidding settled: ${a.assigned_tiles} tiles to ${a.winners} worker(s)${bonds}`;
    }
    case "TilesReturned": {
      const tiles = tileRange(Number(a.first_tile), Number(a.tile_count));
      const from = roundName(rounds.get(Number(a.round_id)) ?? 0);
      const why = {
        unsold: `unsold by ${from}`,
        late:
          given === undefined
            ? `worker ${who(a.worker)} late (${from})`
            : `worker ${who(a.worker)} gave them back: ${givenText(given, causes)} (${from})`,
        rejected: `worker ${who(a.worker)}'s results rejected (${from})`,
        unverified: `worker ${who(a.worker)}'s results unverified: every verifier stayed silent (${from})`,
      }[returnCause(a.cause)];
      return `${tiles} went back to the unsold tiles: ${why}`;
    }
    case "RoundOpened":
      return (
        `Round ${a.round} opened by ${who(a.opener)} (bounty ${eth(a.bounty)}): ${a.tiles} tiles ` +
        `re-offered at most ${eth(a.max_price_per_tile)} each, sealed bids until ${clock(a.bid_end)}`
      );
    case "JobToppedUp":
      return `The artist topped up the reserve by ${eth(a.amount)}; later rounds pay at most ${eth(a.max_price_per_tile)} per tile`;
    case "ReofferingEnded": {
      const left = Number(a.tiles_left);
      return left === 0
        ? "Re-offering ended: no tile was waiting for a round"
        : `Re-offering ended: ${left} tile${left === 1 ? "" : "s"} will not be delivered`;
    }
    case "TilesAssigned":
      return `Tiles ${a.first_tile}–${Number(a.first_tile) + Number(a.tile_count) - 1} to ${who(a.worker)} at ${eth(a.price_per_tile)} each`;
    case "ResultsCommitted":
      return `${who(a.worker)} committed its rendered tiles (their Merkle root; the tiles stay hidden until the spot-check's evidence is sealed)`;
    case "VerifierDrawn":
      return `${who(a.verifier)} drawn to spot-check ${who(a.worker)}`;
    case "EvidenceSealed":
      return `${who(a.verifier)} re-rendered its spot-check and sealed the evidence without seeing ${who(a.worker)}'s tiles`;
    case "ResultsRevealed":
      return `${who(a.worker)} revealed its tiles (results list) for the spot-check`;
    case "ResultsAttested":
      return `${who(a.verifier)} ${a.passed ? "verified" : "FAILED"} ${who(a.worker)}'s tiles`;
    case "ResultsAccepted":
      return `${who(a.worker)}'s tiles accepted: ${eth(a.payment)} paid after the contest window (verifier fee ${eth(a.verifier_fee)})`;
    case "PaymentReleased":
      return `${who(a.worker)} paid ${eth(a.payment)}; verifier fee ${eth(a.verifier_fee)}`;
    case "ResultsRejected":
      return `${who(a.worker)}'s tiles rejected, ${eth(a.slashed)} slashed`;
    case "ResultsUnverified":
      return `${who(a.worker)}'s tiles unverified: every verifier stayed silent; not paid, their escrow comes back to you`;
    case "VerifierReplaced":
      if (kind === "challenge")
        return `${who(a.silent_verifier)} replaced: its pass contradicted its own evidence; ${who(a.worker)}'s tiles are checked again, round ${a.round}`;
      return isZero(a.silent_verifier)
        ? `No verifier could be drawn for ${who(a.worker)}; round ${a.round}`
        : `${who(a.silent_verifier)} stayed silent (slashed to ${who(a.worker)}); round ${a.round}`;
    case "VerifierDrawMissed":
      return `Draw missed: nobody drew ${who(a.worker)}'s verifier in time; its seat lapsed, ${eth(a.slashed)} slashed`;
    case "Slashed":
      return `${who(a.worker)} slashed ${eth(a.amount)} (${SLASH_REASONS[Number(a.reason)] ?? "?"})`;
    case "WorkerTimedOut":
      return `${who(a.worker)} missed the deadline, ${eth(a.slashed)} slashed`;
    case "SeatAbandoned":
      return `${who(a.worker)} gave its tiles back: ${givenText(Number(a.cause), causes)}; ${eth(a.slashed)} slashed, as a late worker is`;
    case "JobCompleted":
      return `Completed: ${eth(a.artist_refund)} back to you, protocol fee ${eth(a.protocol_fee)}`;
    case "JobCancelled":
      return `Cancelled: ${eth(a.refund)} back to you`;
    case "DisputeOpened":
      if (kind === "challenge")
        return `${who(a.disputer)} challenged ${who(a.worker)}'s pass as contradicting its verifier's own evidence (bond ${eth(a.bond)})`;
      return kind === "appeal" || (kind === undefined && same(a.disputer, a.worker))
        ? `${who(a.worker)} appealed its failed spot-check (bond ${eth(a.bond)})`
        : `${who(a.disputer)} contested ${who(a.worker)}'s passed tiles (bond ${eth(a.bond)})`;
    case "PanelDrawn": {
      const members = Array.isArray(a.members) ? a.members.filter((m) => !isZero(m)) : [];
      return `Panel of ${members.length} drawn for ${who(a.worker)}'s dispute: ${members.map(who).join(", ")}`;
    }
    case "VoteCommitted":
      return `${who(a.voter)} sealed its vote on ${who(a.worker)}'s dispute`;
    case "VoteCast":
      if (kind === "challenge")
        return `${who(a.voter)} revealed its vote: the pass ${a.fraud ? "contradicts" : "agrees with"} its evidence`;
      return `${who(a.voter)} revealed its vote: ${a.fraud ? "fraud" : "honest"}`;
    case "DisputeResolved":
      if (kind === "challenge")
        return a.fraud
          ? `Challenge upheld: ${who(a.worker)}'s pass contradicted its evidence; the verifier is slashed (${a.votes_fraud} contradicted, ${a.votes_honest} not)`
          : `Challenge rejected: ${who(a.worker)}'s pass stands, with a new contest window (${a.votes_fraud} contradicted, ${a.votes_honest} not)`;
      return `Dispute over ${who(a.worker)}'s tiles resolved: ${a.fraud ? "fraud" : "honest"} (${a.votes_fraud} fraud, ${a.votes_honest} honest)`;
    case "PanelPaid":
      return `Panel paid: ${eth(a.fee_each)} to each member that revealed, ${eth(a.bonds_each)} more to each that voted for the outcome, ${eth(a.remainder)} left to ${who(a.beneficiary)}`;
    case "BondReclaimed":
      return `${who(a.bidder)} took back its bid bond`;
    default:
      return e.name.replace(/([a-z])([A-Z])/g, "$1 $2");
  }
}
