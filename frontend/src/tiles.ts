// Where each tile of a job stands, from the job's chain events alone (pure: no DOM, no network),
// and which seats the artist may still pay at once. Verification is blind: a worker commits only
// its tiles' Merkle root, the drawn verifier seals its evidence before seeing a tile, then the
// worker reveals its tiles and the verifier judges them with the evidence it sealed.
import { disputeKinds } from "./disputes";
import type { ChainEvent } from "./types";

export type TileState =
  | "waiting"
  | "bidding"
  | "assigned"
  | "committed"
  | "verifying"
  | "sealed"
  | "revealed"
  | "verified"
  | "accepted"
  | "paid"
  | "failed"
  | "disputed"
  | "challenged"
  | "rejected"
  | "unverified"
  | "late"
  | "missed"
  | "cancelled";

export const TILE_LABELS: Record<TileState, string> = {
  waiting: "Waiting for bids",
  bidding: "Sealed bids in",
  assigned: "Rendering",
  committed: "Rendered, committed (hidden until checked)",
  verifying: "Spot-check drawn",
  sealed: "Spot-check evidence sealed: tiles to be revealed",
  revealed: "Tiles revealed: verdict pending",
  verified: "Verified",
  accepted: "Accepted, paid after the contest window",
  paid: "Verified and paid",
  failed: "Failed the spot-check",
  disputed: "In dispute",
  challenged: "Pass challenged: a panel checks it against its evidence",
  rejected: "Rejected",
  unverified: "Unverified: every verifier stayed silent",
  late: "Timed out",
  missed: "Draw missed: nobody drew a verifier in time",
  cancelled: "Cancelled",
};

export interface Tile {
  index: number;
  state: TileState;
  worker: string | null;
}

const BY_WORKER: Record<string, TileState> = {
  ResultsCommitted: "committed",
  VerifierDrawn: "verifying",
  EvidenceSealed: "sealed",
  ResultsRevealed: "revealed",
  VerifierReplaced: "verifying",
  ResultsAccepted: "accepted",
  PaymentReleased: "paid",
  ResultsRejected: "rejected",
  ResultsUnverified: "unverified",
  WorkerTimedOut: "late",
  VerifierDrawMissed: "missed",
};

export function tileStates(tileCount: number, events: readonly ChainEvent[]): Tile[] {
  const tiles: Tile[] = Array.from({ length: tileCount }, (_, index) => ({
    index,
    state: "waiting",
    worker: null,
  }));
  const seats = new Map<string, number[]>();
  const kinds = disputeKinds(events);
  const setWorker = (worker: string, state: TileState) => {
    for (const i of seats.get(worker.toLowerCase()) ?? []) tiles[i].state = state;
  };
  for (const event of events) {
    const worker = typeof event.args.worker === "string" ? event.args.worker : null;
    switch (event.name) {
      case "BidCommitted":
        for (const t of tiles) if (t.state === "waiting") t.state = "bidding";
        break;
      case "TilesAssigned": {
        const first = Number(event.args.first_tile);
        const count = Number(event.args.tile_count);
        const indices: number[] = [];
        for (let i = first; i < first + count && i < tileCount; i++) {
          tiles[i].state = "assigned";
          tiles[i].worker = worker;
          indices.push(i);
        }
        if (worker) seats.set(worker.toLowerCase(), indices);
        break;
      }
      case "ResultsAttested":
        if (worker) setWorker(worker, event.args.passed ? "verified" : "failed");
        break;
      case "DisputeOpened":
        if (worker) setWorker(worker, kinds.get(event) === "challenge" ? "challenged" : "disputed");
        break;
      case "DisputeResolved":
        // A rejected challenge: the pass stands, with a fresh contest window. (Other verdicts
        // are carried out by the events that follow in the same transaction.)
        if (worker && kinds.get(event) === "challenge" && !event.args.fraud)
          setWorker(worker, "accepted");
        break;
      case "JobCancelled":
        for (const t of tiles)
          if (t.state === "waiting" || t.state === "bidding") t.state = "cancelled";
        break;
      default:
        if (worker && event.name in BY_WORKER) setWorker(worker, BY_WORKER[event.name]);
    }
  }
  return tiles;
}

/** The workers whose seats were accepted and whose pay is still held for the contest window:
 * the seats the artist may pay at once with `acceptResults`. Each named once, in tile order. */
export function acceptedSeats(tiles: readonly Tile[]): string[] {
  const workers = tiles.filter((t) => t.state === "accepted" && t.worker).map((t) => t.worker!);
  return [...new Set(workers)];
}
