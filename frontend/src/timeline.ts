// One sentence per market event, for a job's timeline.
import { eth, short } from "./format";
import type { ChainEvent } from "./types";

// The contract's SlashReason, by value.
const SLASH_REASONS = ["fraud", "late", "overruled verdict", "silent verifier"];

const isZero = (x: unknown) => typeof x !== "string" || /^0x0*$/i.test(x);

export function describe(e: ChainEvent): string {
  const a = e.args;
  const who = (x: unknown) => (typeof x === "string" ? short(x) : "?");
  switch (e.name) {
    case "JobPosted":
      return `Posted by ${who(a.artist)}, ${eth(a.deposit)} in escrow`;
    case "BidCommitted":
      return `Sealed bid from ${who(a.bidder)}`;
    case "BidRevealed":
      return `${who(a.bidder)} revealed ${eth(a.price_per_tile)} per tile for ${a.tile_count} tiles`;
    case "BidOutbid":
      return `${who(a.bidder)} was outbid`;
    case "BidsSettled":
      return `Bidding settled: ${a.assigned_tiles} tiles to ${a.winners} worker(s), ${eth(a.artist_refund)} back to you`;
    case "TilesAssigned":
      return `Tiles ${a.first_tile}–${Number(a.first_tile) + Number(a.tile_count) - 1} to ${who(a.worker)} at ${eth(a.price_per_tile)} each`;
    case "ResultsCommitted":
      return `${who(a.worker)} committed its rendered tiles`;
    case "VerifierDrawn":
      return `${who(a.verifier)} drawn to spot-check ${who(a.worker)}`;
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
      return isZero(a.silent_verifier)
        ? `No verifier could be drawn for ${who(a.worker)}; round ${a.round}`
        : `${who(a.silent_verifier)} stayed silent (slashed to ${who(a.worker)}); round ${a.round}`;
    case "VerifierDrawMissed":
      return `Draw missed: nobody drew ${who(a.worker)}'s verifier in time; its seat lapsed, ${eth(a.slashed)} slashed`;
    case "Slashed":
      return `${who(a.worker)} slashed ${eth(a.amount)} (${SLASH_REASONS[Number(a.reason)] ?? "?"})`;
    case "WorkerTimedOut":
      return `${who(a.worker)} missed the deadline, ${eth(a.slashed)} slashed`;
    case "JobCompleted":
      return `Completed: ${eth(a.artist_refund)} back to you, protocol fee ${eth(a.protocol_fee)}`;
    case "JobCancelled":
      return `Cancelled: ${eth(a.refund)} back to you`;
    case "BondReclaimed":
      return `${who(a.bidder)} took back its bid bond`;
    default:
      return e.name.replace(/([a-z])([A-Z])/g, "$1 $2");
  }
}
