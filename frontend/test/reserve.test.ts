// What a top-up must add for the reserve to fund a round, and what each round paid.
import assert from "node:assert/strict";
import { test } from "node:test";
import { openerBounty, roundCosts, roundNeeds, topUpNeeded } from "../src/reserve";
import type { LedgerEntry } from "../src/types";

const FEES = { protocolFeeBps: 100n, drawBountyBps: 1_000n }; // 1 % fee, 10 % of verifier fees

test("a round needs its tiles at the maximum price with fee and verifier fee, and the bounty", () => {
  const price = 2_000_000_000_000_000n; // 0.002 ETH
  const fee = 1_000_000_000_000n; // 0.000001 ETH
  // 8 * (0.002 + 0.00002 + 0.000001) + 8 * 0.000001 * 10 %
  assert.equal(
    roundNeeds(8, price, fee, FEES),
    8n * (price + price / 100n + fee) + 800_000_000_000n,
  );
  assert.equal(openerBounty(8, fee, FEES), 800_000_000_000n);
  const needed = roundNeeds(8, price, fee, FEES);
  assert.equal(topUpNeeded(8, price, fee, needed - 5n, FEES), 5n);
  assert.equal(topUpNeeded(8, price, fee, needed, FEES), 0n);
  assert.equal(topUpNeeded(8, price, fee, needed + 1n, FEES), 0n); // never below zero
  assert.equal(topUpNeeded(0, price, fee, 0n, FEES), 0n); // nothing to re-offer: a price raise only
});

test("fees round down per tile and the bounty over the round, as on chain", () => {
  // A price of 199 wei at 1 %: the fee is 1 wei per tile (199 * 100 / 10000 = 1.99).
  assert.equal(roundNeeds(3, 199n, 7n, FEES), 3n * (199n + 1n + 7n) + (3n * 7n * 1_000n) / 10_000n);
  assert.equal(roundNeeds(3, 199n, 7n, FEES), 623n);
});

test("each round's pay to workers, verifiers and bounties, the posted job's sale first", () => {
  let n = 0;
  const entry = (
    round_id: number,
    role: string,
    amount: string,
    direction: "in" | "out" = "out",
  ): LedgerEntry => ({
    block_number: ++n,
    log_index: 0,
    round_id,
    direction,
    party: "0x1",
    role,
    reason: role,
    amount,
  });
  const rounds = new Map([
    [7, 0],
    [9, 1],
    [12, 2],
  ]);
  const costs = roundCosts(
    [
      entry(7, "artist", "100", "in"),
      entry(9, "opener", "8"),
      entry(9, "worker", "5000"),
      entry(9, "worker", "3000"),
      entry(9, "verifier", "80"),
      entry(9, "drawer", "2"),
      entry(7, "worker", "4000"),
      entry(7, "artist", "9"), // a refund is no round's cost
    ],
    rounds,
  );
  assert.deepEqual(
    costs.map((c) => [c.round, c.roundId, c.workers, c.verifiers, c.bounties]),
    [
      [0, 7, 4000n, 0n, 0n],
      [1, 9, 8000n, 80n, 10n],
      [2, 12, 0n, 0n, 0n],
    ],
  );
});
