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
