// A posted job and its re-offer rounds (pure: no DOM, no network). Tiles a round did not sell, and
// the tiles of a seat that ended late, rejected or unverified, go back to the job's unsold tiles;
// anyone may open a new round over them, which is a job of its own id selling tiles by the posted
// job's indices (docs/protocol.md, "Rounds: every frame finishes"). A posted job is round 0.
import type { ChainEvent } from "./types";

/** Why tiles went back to the unsold tiles (`TilesReturned.cause`, the contract's SeatState). */
export type ReturnCause = "unsold" | "rejected" | "late" | "unverified";

const CAUSES: Record<number, ReturnCause> = {
  0: "unsold",
  9: "rejected",
  10: "late",
  12: "unverified",
};

/** The cause of a `TilesReturned` (an unknown state index reads as unsold). */
export function returnCause(cause: unknown): ReturnCause {
  return CAUSES[Number(cause)] ?? "unsold";
}

/** The contract allows at most this many re-offer rounds (`MAX_ROUNDS`). */
export const MAX_ROUNDS = 8;

/** A round as people read it: the posted job's own sale, or re-offer round k. */
export function roundName(round: number): string {
  return round === 0 ? "the first sale" : `round ${round}`;
}

/** The contract's packed ranges (`firstTile << 16 | tileCount`) as `[first, count]` pairs. */
export function unpackRanges(packed: unknown): [number, number][] {
  if (!Array.isArray(packed)) return [];
  return packed.map((value) => {
    const n = Number(value);
    return [Math.floor(n / 65536), n % 65536];
  });
}

/** How many tiles a list of ranges holds. */
export const tilesIn = (ranges: readonly (readonly [number, number])[]): number =>
  ranges.reduce((sum, [, count]) => sum + count, 0);

/** "Tile 3" or "Tiles 0–7". */
export function tileRange(first: number, count: number): string {
  return count === 1 ? `Tile ${first}` : `Tiles ${first}–${first + count - 1}`;
}

/** The round number of each job id of a family: the posted job (the one that posted) is 0, each
 * round as `RoundOpened` numbered it; `known` adds what the API listed. */
export function roundNumbers(
  events: readonly ChainEvent[],
  known: readonly { round_id: number; round: number }[] = [],
): Map<number, number> {
  const rounds = new Map<number, number>();
  for (const r of known) rounds.set(r.round_id, r.round);
  for (const e of events) {
    if (e.name === "JobPosted" && e.job_id !== null) rounds.set(e.job_id, 0);
    if (e.name === "RoundOpened") rounds.set(Number(e.args.round_id), Number(e.args.round));
  }
  return rounds;
}

/** A family's events by the job (posted job or round) each names, in their order. */
export function byJob(events: readonly ChainEvent[]): Map<number, ChainEvent[]> {
  const jobs = new Map<number, ChainEvent[]>();
  for (const e of events) {
    if (e.job_id === null) continue;
    const list = jobs.get(e.job_id) ?? [];
    list.push(e);
    jobs.set(e.job_id, list);
  }
  return jobs;
}

const TERMINAL = new Set(["Completed", "Cancelled", "Expired"]);

/** What a job (posted job or round) needs to say where its bidding stands. */
export interface BiddingFacts {
  job_id: number;
  status: string;
  commits: number;
  bid_end: number;
}

/**
 * The status a job shows: the contract's, except for bidding that sold nothing. A bid window that
 * closed without a bid reads "No bids" until settled; once settled with nothing sold, "No bids:
 * re-offered" when a later round took its tiles, "No bids: refunded" when the job ended without
 * ever selling a tile (re-offering over, the escrow back to the artist). `family` holds the
 * events of the posted job and all its rounds; `rootStatus` is the posted job's status; `now`
 * is the chain's clock.
 */
export function statusLabel(
  job: BiddingFacts,
  family: readonly ChainEvent[],
  rootStatus: string,
  now: number,
): string {
  const none = job.commits === 0 ? "No bids" : "Nothing sold";
  if (job.status === "Bidding") return job.commits === 0 && now > job.bid_end ? none : "Bidding";
  const own = family.filter((e) => e.job_id === job.job_id);
  const soldNothing = own.some(
    (e) => e.name === "BidsSettled" && Number(e.args.assigned_tiles) === 0,
  );
  if (!soldNothing) return job.status;
  const rounds = roundNumbers(family);
  const mine = rounds.get(job.job_id) ?? 0;
  const reoffered = family.some((e) => e.name === "RoundOpened" && Number(e.args.round) > mine);
  const everSold = family.some((e) => e.name === "TilesAssigned");
  if (TERMINAL.has(rootStatus)) {
    if (mine > 0) return reoffered ? `${none}: re-offered` : `${none}: refunded`;
    return everSold ? job.status : `${none}: refunded`;
  }
  return reoffered ? `${none}: re-offered` : `${none}: to be re-offered`;
}

/** Why the artist's re-offer settings would be refused (the contract's `InvalidRounds`), or null:
 * `maxRounds` 0..8, a final deadline (unix seconds) after the first reveal window ends, and none
 * without rounds. */
export function roundsProblem(
  maxRounds: number,
  finalDeadline: number,
  revealEnd: number,
): string | null {
  if (!Number.isInteger(maxRounds) || maxRounds < 0 || maxRounds > MAX_ROUNDS) {
    return `Re-offer rounds must be a whole number from 0 to ${MAX_ROUNDS}.`;
  }
  if (maxRounds === 0) {
    return finalDeadline === 0 ? null : "A job without re-offer rounds has no final deadline.";
  }
  if (!Number.isFinite(finalDeadline) || finalDeadline <= revealEnd) {
    return (
      `The final deadline must be after the first reveal window closes ` +
      `(${new Date(revealEnd * 1000).toLocaleString()}): choose a later date.`
    );
  }
  return null;
}
