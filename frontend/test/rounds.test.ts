// A posted job and its re-offer rounds: each tile's round and state across them, the status of
// bidding that sold nothing, and the artist's re-offer settings checked as the contract does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { roundsProblem, statusLabel, unpackRanges } from "../src/rounds";
import { acceptedSeats, tileLabel, tileStates } from "../src/tiles";
import type { ChainEvent } from "../src/types";

const JOB = 7; // the posted job
const R1 = 9; // its first re-offer round (a job of its own id)
const R2 = 12;
const LATE = "0x000000000000000000000000000000000000000A";
const OTHER = "0x000000000000000000000000000000000000000B";
const THIRD = "0x000000000000000000000000000000000000000C";
const ZERO = "0x0000000000000000000000000000000000000000";
const ARTIST = "0x00000000000000000000000000000000000000Ad";

let position = 0;
function ev(job: number, name: string, args: Record<string, unknown> = {}): ChainEvent {
  position += 1;
  return {
    block_number: position,
    log_index: 0,
    tx_hash: `0x${position}`,
    timestamp: position,
    name,
    job_id: job,
    actor: null,
    args,
  };
}
const states = (tiles: { state: string }[]) => tiles.map((t) => t.state);
const roundsOf = (tiles: { round: number }[]) => tiles.map((t) => t.round);
/** `RoundOpened` packs each range as `first << 16 | count`. */
const opened = (roundId: number, round: number, ranges: [number, number][]) =>
  ev(JOB, "RoundOpened", {
    round_id: roundId,
    round,
    tiles: ranges.reduce((n, [, c]) => n + c, 0),
    ranges: ranges.map(([first, count]) => first * 65536 + count),
    opener: OTHER,
    bounty: "8",
    max_price_per_tile: "1000",
    bid_end: 100,
  });
const returned = (round: number, worker: string, first: number, count: number, cause: number) =>
  ev(JOB, "TilesReturned", {
    round_id: round,
    worker,
    first_tile: first,
    tile_count: count,
    cause,
  });

/** A 4-tile job: LATE wins 0-1 and misses its deadline, OTHER wins 2-3 and is paid. */
function lateWorkerJob(): ChainEvent[] {
  return [
    ev(JOB, "JobPosted", { artist: ARTIST, deposit: "1" }),
    ev(JOB, "BidCommitted", { bidder: LATE, tile_count: 2 }),
    ev(JOB, "TilesAssigned", { worker: LATE, first_tile: 0, tile_count: 2 }),
    ev(JOB, "TilesAssigned", { worker: OTHER, first_tile: 2, tile_count: 2 }),
    ev(JOB, "BidsSettled", { assigned_tiles: 4, winners: 2 }),
    ev(JOB, "ResultsCommitted", { worker: OTHER }),
    ev(JOB, "ResultsAccepted", { worker: OTHER }),
    ev(JOB, "PaymentReleased", { worker: OTHER }),
    ev(JOB, "WorkerTimedOut", { worker: LATE }),
    returned(JOB, LATE, 0, 2, 10),
  ];
}

test("packed ranges unpack to first tile and count", () => {
  assert.deepEqual(unpackRanges([2 * 65536 + 3, 5]), [
    [2, 3],
    [0, 5],
  ]);
  assert.deepEqual(unpackRanges(undefined), []);
});

test("a late worker's tiles go back, are re-offered in round 1, sold again, delivered and paid", () => {
  const late = lateWorkerJob();
  let tiles = tileStates(4, late);
  assert.deepEqual(states(tiles), ["reoffered", "reoffered", "paid", "paid"]);
  assert.deepEqual(tiles[0].returns, [{ round: 0, cause: "late", worker: LATE }]);
  assert.match(
    tileLabel(tiles[0]),
    /waiting among the unsold tiles.*worker 0x0+A late in the first sale/,
  );

  const onSale = [...late, opened(R1, 1, [[0, 2]])];
  tiles = tileStates(4, onSale);
  assert.deepEqual(states(tiles), ["onsale", "onsale", "paid", "paid"]);
  assert.deepEqual(roundsOf(tiles), [1, 1, 0, 0]);
  // A bid in the round marks its own tiles only (the posted job's tiles are sold).
  const bid = [...onSale, ev(R1, "BidCommitted", { bidder: THIRD, tile_count: 2 })];
  assert.deepEqual(states(tileStates(4, bid)), ["bidding", "bidding", "paid", "paid"]);

  const sold = [...bid, ev(R1, "TilesAssigned", { worker: THIRD, first_tile: 0, tile_count: 2 })];
  tiles = tileStates(4, sold);
  assert.deepEqual(states(tiles), ["assigned", "assigned", "paid", "paid"]);
  assert.equal(tiles[0].job, R1);
  assert.equal(tiles[0].worker, THIRD);
  assert.match(tileLabel(tiles[0]), /Rendering, round 1 \(worker 0x0+C\)/);

  const delivered = [...sold, ev(R1, "ResultsCommitted", { worker: THIRD })];
  assert.deepEqual(states(tileStates(4, delivered)), ["committed", "committed", "paid", "paid"]);
  const accepted = [...delivered, ev(R1, "ResultsAccepted", { worker: THIRD })];
  tiles = tileStates(4, accepted);
  assert.deepEqual(states(tiles), ["accepted", "accepted", "paid", "paid"]);
  assert.deepEqual(acceptedSeats(tiles), [{ job: R1, worker: THIRD }]); // paid in round 1's id
  const paid = [...accepted, ev(R1, "PaymentReleased", { worker: THIRD })];
  tiles = tileStates(4, [...paid, ev(JOB, "JobCompleted", { artist_refund: "0" })]);
  assert.deepEqual(states(tiles), ["paid", "paid", "paid", "paid"]);
  assert.deepEqual(roundsOf(tiles), [1, 1, 0, 0]);
});

test("a seat's events move only the tiles it still holds, by its own job id", () => {
  // LATE's events in the posted job no longer touch tiles a round sold to someone else, and a
  // worker's seat in a round is not its seat in the posted job.
  const events = [
    ...lateWorkerJob(),
    opened(R1, 1, [[0, 2]]),
    ev(R1, "TilesAssigned", { worker: OTHER, first_tile: 0, tile_count: 2 }),
    ev(JOB, "ResultsRejected", { worker: LATE }),
    ev(R1, "ResultsCommitted", { worker: OTHER }),
  ];
  assert.deepEqual(states(tileStates(4, events)), ["committed", "committed", "paid", "paid"]);
});

test("unsold, rejected and unverified tiles go back with their cause; re-offering ended leaves them missing", () => {
  const events = [
    ev(JOB, "JobPosted", { artist: ARTIST, deposit: "1" }),
    ev(JOB, "TilesAssigned", { worker: LATE, first_tile: 0, tile_count: 2 }),
    ev(JOB, "TilesAssigned", { worker: OTHER, first_tile: 2, tile_count: 1 }),
    returned(JOB, ZERO, 3, 1, 0), // nobody bought tile 3
    ev(JOB, "ResultsRejected", { worker: LATE }),
    returned(JOB, LATE, 0, 2, 9),
    opened(R1, 1, [
      [0, 2],
      [3, 1],
    ]),
    ev(R1, "TilesAssigned", { worker: THIRD, first_tile: 0, tile_count: 2 }),
    returned(R1, ZERO, 3, 1, 0), // round 1 did not sell tile 3 either
    ev(R1, "ResultsUnverified", { worker: THIRD }),
    returned(R1, THIRD, 0, 2, 12),
  ];
  let tiles = tileStates(4, events);
  assert.deepEqual(states(tiles), ["reoffered", "reoffered", "assigned", "reoffered"]);
  assert.deepEqual(
    tiles[0].returns.map((r) => [r.round, r.cause]),
    [
      [0, "rejected"],
      [1, "unverified"],
    ],
  );
  assert.deepEqual(
    tiles[3].returns.map((r) => [r.round, r.cause, r.worker]),
    [
      [0, "unsold", null],
      [1, "unsold", null],
    ],
  );
  const ended = [...events, ev(JOB, "ReofferingEnded", { tiles_left: 3 })];
  tiles = tileStates(4, ended);
  assert.deepEqual(states(tiles), ["missing", "missing", "assigned", "missing"]);
  // A seat that fails after re-offering ended sends its tiles straight to missing.
  const after = [
    ...ended,
    ev(JOB, "WorkerTimedOut", { worker: OTHER }),
    returned(JOB, OTHER, 2, 1, 10),
  ];
  assert.deepEqual(states(tileStates(4, after)), ["missing", "missing", "missing", "missing"]);
  assert.match(tileLabel(tileStates(4, after)[2]), /Missing: the job ended without it/);
});

test("a job that ends with tiles waiting or on sale leaves them missing", () => {
  const events = [
    ev(JOB, "JobPosted", { artist: ARTIST, deposit: "1" }),
    ev(JOB, "BidsSettled", { assigned_tiles: 0, winners: 0 }),
    returned(JOB, ZERO, 0, 2, 0),
    ev(JOB, "ReofferingEnded", { tiles_left: 2 }),
    ev(JOB, "JobCompleted", { artist_refund: "1" }),
  ];
  assert.deepEqual(states(tileStates(2, events)), ["missing", "missing"]);
});

const posted = (status: string, commits = 0) => ({
  job_id: JOB,
  status,
  commits,
  bid_end: 100,
});

test("bidding that sold nothing says no bids, and whether the tiles were re-offered or refunded", () => {
  const start = [ev(JOB, "JobPosted", { artist: ARTIST, deposit: "1" })];
  assert.equal(statusLabel(posted("Bidding"), start, "Bidding", 50), "Bidding");
  // The bid window closed without a bid: never "Bidding" again, even before anyone settles.
  assert.equal(statusLabel(posted("Bidding"), start, "Bidding", 101), "No bids");
  assert.equal(statusLabel(posted("Bidding", 1), start, "Bidding", 101), "Bidding");

  const settled = [
    ...start,
    ev(JOB, "BidsSettled", { assigned_tiles: 0, winners: 0 }),
    returned(JOB, ZERO, 0, 4, 0),
  ];
  // At an unchanged price the job expired and refunded everything.
  const expired = [...settled, ev(JOB, "ReofferingEnded", { tiles_left: 4 })];
  assert.equal(statusLabel(posted("Expired"), expired, "Expired", 200), "No bids: refunded");
  // The artist raised the price while it ran: the tiles wait for a round, then one opens.
  assert.equal(statusLabel(posted("Active"), settled, "Active", 200), "No bids: to be re-offered");
  const reoffered = [...settled, opened(R1, 1, [[0, 4]])];
  assert.equal(statusLabel(posted("Active"), reoffered, "Active", 200), "No bids: re-offered");
  // A round that sold nothing either, then the job ended: the round says so.
  const round = { job_id: R1, status: "Expired", commits: 0, bid_end: 300 };
  const roundEmpty = [...reoffered, ev(R1, "BidsSettled", { assigned_tiles: 0, winners: 0 })];
  assert.equal(statusLabel(round, roundEmpty, "Completed", 400), "No bids: refunded");
  assert.equal(statusLabel(posted("Completed"), roundEmpty, "Completed", 400), "No bids: refunded");
  const again = [...roundEmpty, opened(R2, 2, [[0, 4]])];
  assert.equal(statusLabel(round, again, "Active", 400), "No bids: re-offered");
  // A later round sold tiles: the posted job ends as it is, Completed.
  const sold = [...again, ev(R2, "TilesAssigned", { worker: THIRD, first_tile: 0, tile_count: 4 })];
  assert.equal(statusLabel(posted("Completed"), sold, "Completed", 500), "Completed");
  // Bids never revealed sell nothing either.
  assert.equal(
    statusLabel(posted("Expired", 2), expired, "Expired", 200),
    "Nothing sold: refunded",
  );
  // A job that sold its tiles shows the contract's status.
  assert.equal(statusLabel(posted("Active"), lateWorkerJob(), "Active", 200), "Active");
});

test("re-offer settings are checked as the contract checks them (InvalidRounds)", () => {
  const revealEnd = 1_000;
  assert.equal(roundsProblem(2, 1_001, revealEnd), null);
  assert.equal(roundsProblem(0, 0, revealEnd), null);
  assert.equal(roundsProblem(8, 5_000, revealEnd), null);
  assert.match(roundsProblem(9, 5_000, revealEnd)!, /from 0 to 8/);
  assert.match(roundsProblem(-1, 5_000, revealEnd)!, /from 0 to 8/);
  assert.match(roundsProblem(Number.NaN, 5_000, revealEnd)!, /whole number/);
  assert.match(roundsProblem(2, 1_000, revealEnd)!, /after the first reveal window closes/);
  assert.match(roundsProblem(2, Number.NaN, revealEnd)!, /after the first reveal window closes/);
  assert.match(
    roundsProblem(0, 5_000, revealEnd)!,
    /without re-offer rounds has no final deadline/,
  );
});
