// A job's sealed bids, from its chain events alone (pure: no DOM, no network). A bid is committed
// sealed (its price hidden, its tile count declared in the open) and locks the collateral of its
// tiles at the job's maximum price; it is revealed after the bid window, or never. Once the reveal
// window is over, the collateral of a bid never revealed is forfeited: anyone may call
// forfeitBid, which slashes it to the artist (BidForfeited).
import { wei } from "./json";
import type { ChainEvent } from "./types";

/** sealed: committed, not revealed; revealed: in the running until settlement; won: it got
 * tiles; outbid: it got none; reclaimed: its bond taken back from a cancelled job; forfeited:
 * never revealed, its collateral slashed to the artist. */
export type BidState = "sealed" | "revealed" | "won" | "outbid" | "reclaimed" | "forfeited";

export const BID_LABELS: Record<BidState, string> = {
  sealed: "Sealed",
  revealed: "Revealed",
  won: "Won tiles",
  outbid: "Outbid",
  reclaimed: "Bond reclaimed",
  forfeited: "Forfeited",
};

export interface Bid {
  bidder: string;
  /** The tiles the commit declared (its collateral is theirs at the maximum price). */
  tiles: number;
  state: BidState;
  /** What forfeitBid slashed to the artist, in wei (0 unless forfeited). */
  forfeited: bigint;
}

const same = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

const STATE_AFTER: Record<string, BidState> = {
  BidRevealed: "revealed",
  TilesAssigned: "won",
  BidOutbid: "outbid",
  BondReclaimed: "reclaimed",
  BidForfeited: "forfeited",
};

/** Every sealed bid of the job, in the order they were committed. */
export function bids(events: readonly ChainEvent[]): Bid[] {
  const all: Bid[] = [];
  for (const event of events) {
    const a = event.args;
    const bidder = typeof a.bidder === "string" ? a.bidder : a.worker;
    if (event.name === "BidCommitted" && typeof bidder === "string") {
      all.push({ bidder, tiles: Number(a.tile_count ?? 0), state: "sealed", forfeited: 0n });
      continue;
    }
    const state = STATE_AFTER[event.name];
    const bid = state ? all.find((b) => same(b.bidder, bidder)) : undefined;
    if (!bid) continue;
    bid.state = state;
    if (state === "forfeited") bid.forfeited = wei(a.slashed);
  }
  return all;
}

/** The bids whose collateral may be taken now: never revealed, once the reveal window is over
 * (`now` and `revealEnd` in chain seconds), unless the job was cancelled. */
export function forfeitable(
  list: readonly Bid[],
  revealEnd: number,
  now: number,
  status: string,
): Bid[] {
  if (status === "Cancelled" || now <= revealEnd) return [];
  return list.filter((b) => b.state === "sealed");
}
