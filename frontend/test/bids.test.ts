// A job's sealed bids from its events: declared tiles, reveals, outcomes, and the bids never
// revealed whose collateral the artist may take once the reveal window is over.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bids, forfeitable } from "../src/bids";
import type { ChainEvent } from "../src/types";

let position = 0;
function ev(name: string, args: Record<string, unknown>): ChainEvent {
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
const [A, B, C, D] = ["0x0a", "0x0b", "0x0c", "0x0d"].map((x) => x.padEnd(42, "1"));

const history = [
  ev("JobPosted", { artist: D, deposit: "1" }),
  ev("BidCommitted", { bidder: A, commitment: "0x1", tile_count: 4 }),
  ev("BidCommitted", { bidder: B, commitment: "0x2", tile_count: 2 }),
  ev("BidCommitted", { bidder: C, commitment: "0x3", tile_count: 1 }),
  ev("BidRevealed", { bidder: A, price_per_tile: "10", tile_count: 4 }),
  ev("BidRevealed", { bidder: C.toUpperCase().replace("0X", "0x"), price_per_tile: "20" }),
  ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 4, price_per_tile: "10" }),
  ev("BidOutbid", { bidder: C }),
];

test("each bid: its declared tiles and where it stands", () => {
  assert.deepEqual(
    bids(history).map((b) => [b.tiles, b.state]),
    [
      [4, "won"],
      [2, "sealed"],
      [1, "outbid"],
    ],
  );
});

test("a bid never revealed is forfeitable only after the reveal window, and not twice", () => {
  const list = bids(history);
  assert.deepEqual(forfeitable(list, 100, 100, "Active"), []); // the window's last second
  assert.deepEqual(
    forfeitable(list, 100, 101, "Active").map((b) => b.bidder),
    [B],
  );
  assert.deepEqual(forfeitable(list, 100, 101, "Cancelled"), []); // its bond is reclaimed instead
  const forfeited = bids([...history, ev("BidForfeited", { bidder: B, slashed: "2000" })]);
  assert.deepEqual(forfeitable(forfeited, 100, 101, "Active"), []);
  assert.equal(forfeited[1].state, "forfeited");
  assert.equal(forfeited[1].forfeited, 2000n);
});
