// The timeline's sentence for each event that moves money or ends a seat.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describe } from "../src/timeline";
import type { ChainEvent } from "../src/types";

const A = "0x1111111111111111111111111111111111111111";
const ZERO = "0x0000000000000000000000000000000000000000";

function ev(name: string, args: Record<string, unknown>): ChainEvent {
  return {
    block_number: 1,
    log_index: 0,
    tx_hash: "0x",
    timestamp: 0,
    name,
    job_id: 1,
    actor: null,
    args,
  };
}

test("an accepted seat is paid after its contest window, at release", () => {
  const accepted = describe(ev("ResultsAccepted", { worker: A, payment: "0", verifier_fee: "0" }));
  assert.match(accepted, /accepted: .* paid after the contest window/);
  const paid = describe(ev("PaymentReleased", { worker: A, payment: "0", verifier_fee: "0" }));
  assert.match(paid, / paid /);
});

test("silence, a missed draw and a silent verifier's slash are told apart", () => {
  assert.match(
    describe(ev("ResultsUnverified", { worker: A })),
    /unverified: every verifier stayed silent/,
  );
  assert.match(describe(ev("VerifierDrawMissed", { worker: A, slashed: "0" })), /Draw missed/);
  assert.match(
    describe(ev("VerifierReplaced", { worker: A, silent_verifier: A, round: 1 })),
    /stayed silent/,
  );
  assert.match(
    describe(ev("VerifierReplaced", { worker: A, silent_verifier: ZERO, round: 1 })),
    /No verifier could be drawn/,
  );
  assert.match(describe(ev("Slashed", { worker: A, reason: 3, amount: "0" })), /silent verifier/);
});

test("a dispute: sealed votes, reveals, the verdict and the panel's pay", () => {
  const B = "0x2222222222222222222222222222222222222222";
  assert.match(
    describe(ev("DisputeOpened", { worker: A, disputer: A, bond: "1", reason_cid: "x" })),
    /appealed its failed spot-check/,
  );
  assert.match(
    describe(ev("DisputeOpened", { worker: A, disputer: B, bond: "1", reason_cid: "x" })),
    /contested .* passed tiles/,
  );
  assert.match(
    describe(ev("PanelDrawn", { worker: A, members: [B, B, ZERO], seed: "0x" })),
    /Panel of 2 drawn/,
  );
  assert.match(describe(ev("VoteCommitted", { worker: A, voter: B })), /sealed its vote/);
  assert.match(describe(ev("VoteCast", { worker: A, voter: B, fraud: true })), /revealed .*fraud/);
  assert.match(
    describe(
      ev("PanelPaid", {
        worker: A,
        beneficiary: A,
        fee_each: "1",
        bonds_each: "0",
        remainder: "0",
      }),
    ),
    /Panel paid: .* to each member that revealed/,
  );
  assert.match(describe(ev("Slashed", { worker: B, reason: 4, amount: "0" })), /outvoted/);
});

test("a sealed bid declares its tiles; one never revealed is forfeited to the artist", () => {
  assert.match(
    describe(ev("BidCommitted", { bidder: A, commitment: "0x", tile_count: 3 })),
    /Sealed bid from .* for 3 tiles/,
  );
  assert.match(
    describe(ev("BidForfeited", { bidder: A, slashed: "3000000000000000" })),
    /never revealed its bid: 0\.003 ETH of its collateral forfeited to you/,
  );
  assert.match(describe(ev("Slashed", { worker: A, reason: 5, amount: "0" })), /never revealed/);
});

test("blind verification: the evidence sealed unseen, the tiles revealed, a challenge of a pass", () => {
  const B = "0x2222222222222222222222222222222222222222";
  assert.match(
    describe(ev("ResultsCommitted", { worker: A, merkle_root: "0x", anchor_block: 1 })),
    /tiles stay hidden/,
  );
  assert.match(
    describe(ev("EvidenceSealed", { worker: A, verifier: B, seal: "0x" })),
    /sealed the evidence without seeing/,
  );
  assert.match(
    describe(ev("ResultsRevealed", { worker: A, results_cid: "bafy" })),
    /revealed its tiles/,
  );
  const opened = ev("DisputeOpened", { worker: A, disputer: B, bond: "1", reason_cid: "x" });
  assert.match(
    describe(opened, "challenge"),
    /challenged .* contradicting its verifier's own evidence/,
  );
  assert.match(describe(opened, "contest"), /contested .* passed tiles/);
  const resolved = ev("DisputeResolved", {
    worker: A,
    fraud: true,
    votes_fraud: 2,
    votes_honest: 1,
  });
  assert.match(describe(resolved, "challenge"), /Challenge upheld: .* verifier is slashed/);
  assert.match(
    describe({ ...resolved, args: { ...resolved.args, fraud: false } }, "challenge"),
    /Challenge rejected: .* pass stands/,
  );
  assert.match(
    describe(ev("VerifierReplaced", { worker: A, silent_verifier: B, round: 1 }), "challenge"),
    /contradicted its own evidence/,
  );
});

test("a vote on a challenge says whether the pass contradicts its evidence", () => {
  const vote = ev("VoteCast", { worker: A, voter: A, fraud: true, evidence_cid: "x" });
  assert.match(describe(vote, "challenge"), /the pass contradicts its evidence/);
  assert.match(describe(vote), /revealed its vote: fraud/);
});

test("re-offering: why tiles went back, who opened a round and for what bounty, top-ups, the end", () => {
  const rounds = new Map([
    [7, 0],
    [9, 1],
  ]);
  const back = (round_id: number, worker: string, cause: number, count = 8) =>
    describe(
      ev("TilesReturned", { round_id, worker, first_tile: 0, tile_count: count, cause }),
      undefined,
      rounds,
    );
  assert.equal(
    back(7, ZERO, 0),
    "Tiles 0–7 went back to the unsold tiles: unsold by the first sale",
  );
  assert.equal(back(9, ZERO, 0, 1), "Tile 0 went back to the unsold tiles: unsold by round 1");
  assert.match(
    back(7, A, 10),
    /Tiles 0–7 went back .*: worker 0x1111…1111 late \(the first sale\)/,
  );
  assert.match(back(9, A, 9), /worker 0x1111…1111's results rejected \(round 1\)/);
  assert.match(back(9, A, 12), /worker 0x1111…1111's results unverified/);
  assert.match(
    describe(
      ev("RoundOpened", {
        round_id: 9,
        round: 1,
        tiles: 8,
        max_price_per_tile: "2000000000000000",
        bid_end: 0,
        opener: A,
        bounty: "800000000000",
      }),
    ),
    /Round 1 opened by 0x1111…1111 \(bounty 0\.0000008 ETH\): 8 tiles re-offered at most 0\.002 ETH each/,
  );
  assert.match(
    describe(
      ev("JobToppedUp", { amount: "8000000000000000", max_price_per_tile: "2000000000000000" }),
    ),
    /topped up the reserve by 0\.008 ETH; later rounds pay at most 0\.002 ETH per tile/,
  );
  assert.equal(
    describe(ev("ReofferingEnded", { tiles_left: 2 })),
    "Re-offering ended: 2 tiles will not be delivered",
  );
  assert.match(describe(ev("ReofferingEnded", { tiles_left: 0 })), /no tile was waiting/);
  assert.equal(
    describe(ev("BidsSettled", { assigned_tiles: 0, winners: 0, artist_refund: "0" })),
    "Bidding settled: no tile sold",
  );
});
