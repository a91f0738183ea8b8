// Where each tile of a job stands, from the job's chain events alone (pure: no DOM, no network).
import type { ChainEvent } from "./types";

export type TileState =
  | "waiting"
  | "bidding"
  | "assigned"
  | "committed"
  | "verifying"
  | "verified"
  | "accepted"
  | "failed"
  | "disputed"
  | "rejected"
  | "late"
  | "cancelled";

export const TILE_LABELS: Record<TileState, string> = {
  waiting: "Waiting for bids",
  bidding: "Sealed bids in",
  assigned: "Rendering",
  committed: "Rendered, committed",
  verifying: "Spot-check drawn",
  verified: "Verified",
  accepted: "Verified and paid",
  failed: "Failed the spot-check",
  disputed: "In dispute",
  rejected: "Rejected",
  late: "Timed out",
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
  VerifierReplaced: "verifying",
  DisputeOpened: "disputed",
  ResultsAccepted: "accepted",
  ResultsRejected: "rejected",
  WorkerTimedOut: "late",
};

export function tileStates(tileCount: number, events: readonly ChainEvent[]): Tile[] {
  const tiles: Tile[] = Array.from({ length: tileCount }, (_, index) => ({
    index,
    state: "waiting",
    worker: null,
  }));
  const seats = new Map<string, number[]>();
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
