// Tile states from chain events: every path a seat can take, and events about other seats.
import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptedSeats, tileStates } from "../src/tiles";
import type { ChainEvent } from "../src/types";

let position = 0;
function ev(name: string, args: Record<string, unknown> = {}): ChainEvent {
  position += 1;
  return {
    block_number: position,
    log_index: 0,
    tx_hash: `0x${position}`,
    timestamp: position,
    name,
    job_id: 1,
    actor: null,
    args,
  };
}
const A = "0x000000000000000000000000000000000000000A";
const B = "0x000000000000000000000000000000000000000B";
const states = (tiles: { state: string }[]) => tiles.map((t) => t.state);

test("a job nobody bid on yet is all waiting, and sealed bids mark every tile", () => {
  assert.deepEqual(states(tileStates(3, [ev("JobPosted")])), ["waiting", "waiting", "waiting"]);
  const bid = [ev("JobPosted"), ev("BidCommitted", { bidder: A })];
  assert.deepEqual(states(tileStates(3, bid)), ["bidding", "bidding", "bidding"]);
});

test("each worker's range moves on with its own seat's events only", () => {
  const events = [
    ev("BidCommitted", { bidder: A }),
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 2, price_per_tile: 5 }),
    ev("TilesAssigned", { worker: B, first_tile: 2, tile_count: 2, price_per_tile: 7 }),
    ev("ResultsCommitted", { worker: A }),
  ];
  assert.deepEqual(states(tileStates(4, events)), [
    "committed",
    "committed",
    "assigned",
    "assigned",
  ]);
  const tiles = tileStates(4, [...events, ev("VerifierDrawn", { worker: A, verifier: B })]);
  assert.deepEqual(states(tiles), ["verifying", "verifying", "assigned", "assigned"]);
  assert.equal(tiles[3].worker, B);
});

test("a passed check, then payment; a failed check, a dispute and a rejection", () => {
  const base = [
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 1 }),
    ev("TilesAssigned", { worker: B.toLowerCase(), first_tile: 1, tile_count: 1 }),
    ev("ResultsCommitted", { worker: A }),
    ev("ResultsCommitted", { worker: B }), // the address's case does not matter
  ];
  const passed = ev("ResultsAttested", { worker: A, passed: true });
  const failed = ev("ResultsAttested", { worker: B, passed: false });
  assert.deepEqual(states(tileStates(2, [...base, passed, failed])), ["verified", "failed"]);
  const later = [
    ...base,
    passed,
    failed,
    ev("ResultsAccepted", { worker: A }),
    ev("DisputeOpened", { worker: B }),
  ];
  assert.deepEqual(states(tileStates(2, later)), ["accepted", "disputed"]);
  const end = [
    ...later,
    ev("ResultsRejected", { worker: B }),
    ev("PaymentReleased", { worker: A }),
  ];
  assert.deepEqual(states(tileStates(2, end)), ["paid", "rejected"]);
});

test("silence leaves tiles unverified; a missed draw lapses the seat", () => {
  const events = [
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 1 }),
    ev("TilesAssigned", { worker: B, first_tile: 1, tile_count: 1 }),
    ev("ResultsCommitted", { worker: A }),
    ev("ResultsCommitted", { worker: B }),
    ev("VerifierReplaced", { worker: A }),
    ev("ResultsUnverified", { worker: A }),
    ev("VerifierDrawMissed", { worker: B }),
  ];
  assert.deepEqual(states(tileStates(2, events)), ["unverified", "missed"]);
});

test("a late worker's tiles time out; a cancelled job's open tiles are cancelled", () => {
  const late = [
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 2 }),
    ev("WorkerTimedOut", { worker: A }),
  ];
  assert.deepEqual(states(tileStates(2, late)), ["late", "late"]);
  const cancelled = [ev("BidCommitted", { bidder: A }), ev("JobCancelled", { refund: 1 })];
  assert.deepEqual(states(tileStates(2, cancelled)), ["cancelled", "cancelled"]);
});

test("an assignment past the job's tile count is cut at the end", () => {
  const events = [ev("TilesAssigned", { worker: A, first_tile: 1, tile_count: 5 })];
  assert.deepEqual(states(tileStates(3, events)), ["waiting", "assigned", "assigned"]);
});

test("the artist may pay at once each accepted seat still held, once, and no other", () => {
  const C = "0x000000000000000000000000000000000000000C";
  const events = [
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 2 }),
    ev("TilesAssigned", { worker: B, first_tile: 2, tile_count: 2 }),
    ev("TilesAssigned", { worker: C, first_tile: 4, tile_count: 1 }),
    ev("ResultsCommitted", { worker: A }),
    ev("ResultsCommitted", { worker: B }),
    ev("ResultsCommitted", { worker: C }),
  ];
  assert.deepEqual(acceptedSeats(tileStates(5, events)), []);
  const verdicts = [
    ...events,
    ev("ResultsAttested", { worker: A, passed: true }),
    ev("ResultsAccepted", { worker: A }),
    ev("ResultsAccepted", { worker: B }), // the artist accepted without a verifier
    ev("ResultsAttested", { worker: C, passed: false }),
  ];
  assert.deepEqual(acceptedSeats(tileStates(5, verdicts)), [
    { job: 1, worker: A },
    { job: 1, worker: B },
  ]);
  const contested = [...verdicts, ev("DisputeOpened", { worker: A })];
  assert.deepEqual(acceptedSeats(tileStates(5, contested)), [{ job: 1, worker: B }]);
  const paid = [...contested, ev("PaymentReleased", { worker: B })];
  assert.deepEqual(acceptedSeats(tileStates(5, paid)), []);
});

test("blind verification: the evidence is sealed before the tiles are revealed, then judged", () => {
  const events = [
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 1 }),
    ev("ResultsCommitted", { worker: A }),
    ev("VerifierDrawn", { worker: A, verifier: B }),
    ev("EvidenceSealed", { worker: A, verifier: B, seal: "0x1" }),
  ];
  assert.deepEqual(states(tileStates(1, events)), ["sealed"]);
  const revealed = [...events, ev("ResultsRevealed", { worker: A, results_cid: "bafy" })];
  assert.deepEqual(states(tileStates(1, revealed)), ["revealed"]);
  const passed = [...revealed, ev("ResultsAttested", { worker: A, passed: true })];
  assert.deepEqual(states(tileStates(1, passed)), ["verified"]);
});

test("a challenged pass: upheld, the tiles are checked again; rejected, the pass stands", () => {
  const ARTIST = "0x00000000000000000000000000000000000000Ad";
  const C = "0x000000000000000000000000000000000000000C";
  const accepted = [
    ev("JobPosted", { artist: ARTIST, deposit: "1" }),
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 2 }),
    ev("ResultsCommitted", { worker: A }),
    ev("ResultsAttested", { worker: A, passed: true }),
    ev("ResultsAccepted", { worker: A }),
  ];
  const challenged = [...accepted, ev("DisputeOpened", { worker: A, disputer: C, bond: "1" })];
  assert.deepEqual(states(tileStates(2, challenged)), ["challenged", "challenged"]);
  assert.deepEqual(acceptedSeats(tileStates(2, challenged)), []);
  const rejected = [...challenged, ev("DisputeResolved", { worker: A, fraud: false })];
  assert.deepEqual(states(tileStates(2, rejected)), ["accepted", "accepted"]);
  const upheld = [
    ...challenged,
    ev("DisputeResolved", { worker: A, fraud: true }),
    ev("VerifierReplaced", { worker: A, silent_verifier: B, round: 1 }),
  ];
  assert.deepEqual(states(tileStates(2, upheld)), ["verifying", "verifying"]);
  // The artist's own dispute of a pass is a contest, not a challenge.
  const contested = [...accepted, ev("DisputeOpened", { worker: A, disputer: ARTIST, bond: "1" })];
  assert.deepEqual(states(tileStates(2, contested)), ["disputed", "disputed"]);
});
