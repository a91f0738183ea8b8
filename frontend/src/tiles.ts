// Where each tile of a job stands across the job and all its re-offer rounds, from their chain
// events alone (pure: no DOM, no network), and which seats the artist may still pay at once.
// Verification is blind: a worker commits only its tiles' Merkle root, the drawn verifier seals
// its evidence before seeing a tile, then the worker reveals its tiles and the verifier judges
// them with the evidence it sealed. A tile whose seat ends late, rejected or unverified, or that
// a round did not sell, goes back to the job's unsold tiles and may be sold again in a new round
// (a job of its own id that sells tiles by the posted job's indices).
import { type DisputeKind, disputeKinds } from "./disputes";
import { byJob, type ReturnCause, returnCause, roundName, unpackRanges } from "./rounds";
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
  | "cancelled"
  | "reoffered"
  | "onsale"
  | "missing";

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
  reoffered: "Re-offered: waiting among the unsold tiles for a new round",
  onsale: "On sale again: waiting for bids",
  missing: "Missing: the job ended without it",
};

/** Why a tile went back to the unsold tiles, from which round (0: the posted job's own sale). */
export interface TileReturn {
  round: number;
  cause: ReturnCause;
  /** The seat's worker (null: unsold). */
  worker: string | null;
  /** Why its worker gave the seat back (`SeatAbandoned.cause`), when it did: a seat given back
   * ends as a late one does, with its cause. */
  given?: number;
}

/** The words for each cause a seat was given back for (`SeatPublic.cause_text` by `cause`). */
export type CauseTexts = ReadonlyMap<number, string>;

export interface Tile {
  index: number;
  state: TileState;
  worker: string | null;
  /** The round that sold or offers it (0: the posted job's own sale). */
  round: number;
  /** The job id (the posted job's or a round's) whose seat holds it or that offers it; null while
   * it waits among the unsold tiles or for the posted job's bids. */
  job: number | null;
  /** Each time it went back to the unsold tiles, oldest first. */
  returns: TileReturn[];
}

/** A seat: a worker's in one job (the posted job or a round). */
export interface SeatRef {
  job: number;
  worker: string;
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
  SeatAbandoned: "late",
  VerifierDrawMissed: "missed",
};

const isZero = (x: unknown) => typeof x !== "string" || /^0x0*$/i.test(x);
const OPEN = new Set<TileState>(["waiting", "bidding", "reoffered", "onsale"]);

/**
 * Each tile's state from the events of a posted job and all its rounds, in chain order (a
 * single job's events alone work as well). A round's events name the round's own job id; the
 * posted job's name it, and its `TilesReturned` and `RoundOpened` name the round they concern.
 */
export function tileStates(tileCount: number, events: readonly ChainEvent[]): Tile[] {
  const tiles: Tile[] = Array.from({ length: tileCount }, (_, index) => ({
    index,
    state: "waiting",
    worker: null,
    round: 0,
    job: null,
    returns: [],
  }));
  const rounds = new Map<number, number>(); // round job id -> its number, as rounds open
  const seats = new Map<string, number[]>(); // "job:worker" -> the tiles its seat won
  const given = new Map<string, number>(); // "job:worker" -> why it gave its seat back
  const kinds = familyDisputeKinds(events);
  const posted = events.find((e) => e.name === "JobPosted")?.job_id ?? null;
  let ended = false; // re-offering ended: a tile returned from now on is missing
  const key = (job: number | null, worker: string) => `${job}:${worker.toLowerCase()}`;
  const range = (first: number, count: number) => {
    const indices: number[] = [];
    for (let i = first; i < first + count && i < tileCount; i++) if (i >= 0) indices.push(i);
    return indices;
  };
  const setWorker = (job: number | null, worker: string, state: TileState) => {
    for (const i of seats.get(key(job, worker)) ?? []) {
      const t = tiles[i];
      if (t.job === job && t.worker?.toLowerCase() === worker.toLowerCase()) t.state = state;
    }
  };
  const isPosted = (job: number | null) => !rounds.has(job ?? -1) || job === posted;
  for (const event of events) {
    const a = event.args;
    const job = event.job_id;
    const worker = typeof a.worker === "string" ? a.worker : null;
    switch (event.name) {
      case "BidCommitted":
        for (const t of tiles) {
          if (isPosted(job) ? t.state === "waiting" : t.state === "onsale" && t.job === job)
            t.state = "bidding";
        }
        break;
      case "TilesAssigned": {
        const indices = range(Number(a.first_tile), Number(a.tile_count));
        for (const i of indices) {
          Object.assign(tiles[i], {
            state: "assigned",
            worker,
            job,
            round: rounds.get(job ?? -1) ?? 0,
          });
        }
        if (worker) seats.set(key(job, worker), indices);
        break;
      }
      case "TilesReturned": {
        const round = rounds.get(Number(a.round_id)) ?? 0;
        const back: TileReturn = {
          round,
          cause: returnCause(a.cause),
          worker: isZero(a.worker) ? null : String(a.worker),
        };
        const why = back.worker ? given.get(key(Number(a.round_id), back.worker)) : undefined;
        if (why !== undefined && back.cause === "late") back.given = why;
        for (const i of range(Number(a.first_tile), Number(a.tile_count))) {
          const t = tiles[i];
          Object.assign(t, {
            state: ended ? "missing" : "reoffered",
            worker: null,
            job: null,
            round,
          });
          t.returns.push(back);
        }
        break;
      }
      case "RoundOpened": {
        const roundId = Number(a.round_id);
        rounds.set(roundId, Number(a.round));
        for (const [first, count] of unpackRanges(a.ranges))
          for (const i of range(first, count))
            Object.assign(tiles[i], {
              state: "onsale",
              worker: null,
              job: roundId,
              round: Number(a.round),
            });
        break;
      }
      case "ReofferingEnded":
        ended = true;
        for (const t of tiles) if (t.state === "reoffered") t.state = "missing";
        break;
      case "JobCompleted":
        if (isPosted(job)) for (const t of tiles) if (OPEN.has(t.state)) t.state = "missing";
        break;
      case "ResultsAttested":
        if (worker) setWorker(job, worker, a.passed ? "verified" : "failed");
        break;
      case "DisputeOpened":
        if (worker)
          setWorker(job, worker, kinds.get(event) === "challenge" ? "challenged" : "disputed");
        break;
      case "DisputeResolved":
        // A rejected challenge: the pass stands, with a fresh contest window. (Other verdicts
        // are carried out by the events that follow in the same transaction.)
        if (worker && kinds.get(event) === "challenge" && !a.fraud)
          setWorker(job, worker, "accepted");
        break;
      case "SeatAbandoned":
        if (worker) {
          given.set(key(job, worker), Number(a.cause));
          setWorker(job, worker, "late");
        }
        break;
      case "JobCancelled":
        for (const t of tiles)
          if (t.state === "waiting" || t.state === "bidding") t.state = "cancelled";
        break;
      default:
        if (worker && event.name in BY_WORKER) setWorker(job, worker, BY_WORKER[event.name]);
    }
  }
  return tiles;
}

/** The kind of each dispute in a family's events: each job's disputes on their own, a round's
 * with its posted job's `JobPosted` (which names the artist who may contest). */
export function familyDisputeKinds(events: readonly ChainEvent[]): Map<ChainEvent, DisputeKind> {
  const posted = events.find((e) => e.name === "JobPosted");
  const kinds = new Map<ChainEvent, DisputeKind>();
  for (const [, list] of byJob(events)) {
    const own = posted && !list.includes(posted) ? [posted, ...list] : list;
    for (const [e, kind] of disputeKinds(own)) kinds.set(e, kind);
  }
  return kinds;
}

/** A tile in words: its state, the round that sold or offers it, its worker, and why it went
 * back to the unsold tiles before (a seat given back, in the words of `causes`). */
export function tileLabel(t: Tile, causes: CauseTexts = new Map()): string {
  let label = `Tile ${t.index}: ${TILE_LABELS[t.state]}`;
  if (t.round > 0 && t.state !== "reoffered" && t.state !== "missing")
    label += `, ${roundName(t.round)}`;
  if (t.worker) label += ` (worker ${t.worker})`;
  const why = t.returns.map((r) => {
    const worker = `worker ${r.worker ?? "?"}`;
    const what =
      r.cause === "unsold"
        ? "unsold"
        : r.given !== undefined
          ? `${worker} gave it back: ${givenText(r.given, causes)}`
          : `${worker} ${CAUSE_WORDS[r.cause]}`;
    return `${what} in ${roundName(r.round)}`;
  });
  if (why.length) label += `; went back: ${why.join("; ")}`;
  return label;
}

/** Why a seat was given back, in the server's words when known. */
export function givenText(cause: number, causes: CauseTexts): string {
  return causes.get(cause) ?? `a worker gave its tiles back (cause ${cause})`;
}

/** A seat given back by its worker (`SeatAbandoned`): which, why, and the tiles it held. */
export interface GivenBack {
  job: number | null;
  round: number;
  worker: string;
  cause: number;
  first: number;
  count: number;
}

/** Every seat given back, in chain order, from the events of a posted job and its rounds. */
export function givenBack(events: readonly ChainEvent[]): GivenBack[] {
  const rounds = new Map<number, number>();
  const held = new Map<string, [number, number]>(); // "job:worker" -> [first tile, count]
  const key = (job: number | null, worker: string) => `${job}:${worker.toLowerCase()}`;
  const found: GivenBack[] = [];
  for (const e of events) {
    const a = e.args;
    if (e.name === "RoundOpened") rounds.set(Number(a.round_id), Number(a.round));
    if (typeof a.worker !== "string") continue;
    if (e.name === "TilesAssigned")
      held.set(key(e.job_id, a.worker), [Number(a.first_tile), Number(a.tile_count)]);
    if (e.name === "SeatAbandoned") {
      const [first, count] = held.get(key(e.job_id, a.worker)) ?? [0, 0];
      const round = rounds.get(e.job_id ?? -1) ?? 0;
      found.push({ job: e.job_id, round, worker: a.worker, cause: Number(a.cause), first, count });
    }
  }
  return found;
}

const CAUSE_WORDS: Record<ReturnCause, string> = {
  unsold: "",
  late: "late",
  rejected: "rejected",
  unverified: "unverified",
};

/** The seats (of the posted job or any round) accepted with their pay still held for the
 * contest window: the seats the artist may pay at once with `acceptResults`. Each named once, in
 * tile order. */
export function acceptedSeats(tiles: readonly Tile[]): SeatRef[] {
  const seats = new Map<string, SeatRef>();
  for (const t of tiles) {
    if (t.state !== "accepted" || !t.worker || t.job === null) continue;
    seats.set(`${t.job}:${t.worker.toLowerCase()}`, { job: t.job, worker: t.worker });
  }
  return [...seats.values()];
}
