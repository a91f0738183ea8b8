// A dispute panel from the job's events: each member drawn, sealed, revealed or silent, the
// silent and outvoted members' slashes, and the panel's pay.
import assert from "node:assert/strict";
import { test } from "node:test";
import { disputeKinds, disputes, memberPay } from "../src/disputes";
import type { ChainEvent } from "../src/types";

let position = 0;
function ev(name: string, args: Record<string, unknown>, tx?: string): ChainEvent {
  position += 1;
  return {
    block_number: position,
    log_index: 0,
    tx_hash: tx ?? `0x${position}`,
    timestamp: position,
    name,
    job_id: 1,
    actor: null,
    args,
  };
}
const W = "0x000000000000000000000000000000000000000A";
const ARTIST = "0x00000000000000000000000000000000000000Ad";
const [M1, M2, M3] = ["0x01", "0x02", "0x03"].map((x) => x.padEnd(42, "1"));
const ZERO = "0x0000000000000000000000000000000000000000";
const states = (events: ChainEvent[]) => disputes(events)[0].members.map((m) => m.state);

test("no dispute, no panel", () => {
  assert.deepEqual(
    disputes([ev("TilesAssigned", { worker: W, first_tile: 0, tile_count: 1 })]),
    [],
  );
});

test("members are drawn, seal, reveal; the verdict leaves the rest silent", () => {
  const opened = [
    ev("DisputeOpened", { worker: W, disputer: ARTIST, bond: "100", reason_cid: "bafy" }),
    ev("PanelDrawn", { worker: W, members: [M1, M2, M3], seed: "0x" }),
  ];
  const [d] = disputes(opened);
  assert.equal(d.appeal, false);
  assert.equal(d.bond, 100n);
  assert.deepEqual(states(opened), ["drawn", "drawn", "drawn"]);
  const sealed = [
    ...opened,
    ev("VoteCommitted", { worker: W, voter: M1, commitment: "0x1" }),
    ev("VoteCommitted", {
      worker: W,
      voter: M2.toUpperCase().replace("0X", "0x"),
      commitment: "0x2",
    }),
  ];
  assert.deepEqual(states(sealed), ["sealed", "sealed", "drawn"]);
  const revealed = [
    ...sealed,
    ev("VoteCast", { worker: W, voter: M1, fraud: true, evidence_cid: "bafy-1" }),
  ];
  assert.deepEqual(states(revealed), ["fraud", "sealed", "drawn"]);
  const tx = "0xverdict";
  const resolved = [
    ...revealed,
    ev("DisputeResolved", { worker: W, fraud: true, votes_fraud: 1, votes_honest: 0 }, tx),
    ev("Slashed", { worker: W, job_id: 1, reason: 0, amount: "5000" }, tx),
    ev("Slashed", { worker: M2, job_id: 1, reason: 3, amount: "70" }, tx),
    ev("Slashed", { worker: M3, job_id: 1, reason: 3, amount: "100" }, tx),
    ev(
      "PanelPaid",
      { worker: W, beneficiary: ARTIST, fee_each: "40", bonds_each: "170", remainder: "0" },
      tx,
    ),
  ];
  const [done] = disputes(resolved);
  assert.deepEqual(states(resolved), ["fraud", "silent", "silent"]);
  assert.equal(done.fraud, true);
  assert.deepEqual(
    done.members.map((m) => m.slashed),
    [0n, 70n, 100n],
  );
  assert.deepEqual(done.pay, {
    beneficiary: ARTIST,
    feeEach: 40n,
    bondsEach: 170n,
    remainder: 0n,
    toTreasury: 0n,
  });
  assert.deepEqual(
    done.members.map((m) => memberPay(done, m)),
    [210n, 0n, 0n],
  );
});

test("an appeal: an outvoted member is paid its fee share and slashed; empty seats are no members", () => {
  const tx = "0xv";
  const events = [
    ev("DisputeOpened", { worker: W, disputer: W, bond: "100", reason_cid: "bafy" }),
    ev("PanelDrawn", { worker: W, members: [M1, M2, ZERO], seed: "0x" }),
    ev("VoteCommitted", { worker: W, voter: M1, commitment: "0x1" }),
    ev("VoteCommitted", { worker: W, voter: M2, commitment: "0x2" }),
    ev("VoteCast", { worker: W, voter: M1, fraud: false, evidence_cid: "bafy-1" }),
    ev("VoteCast", { worker: W, voter: M2, fraud: true, evidence_cid: "bafy-2" }),
    ev("DisputeResolved", { worker: W, fraud: false, votes_fraud: 1, votes_honest: 1 }, tx),
    ev("Slashed", { worker: M2, job_id: 1, reason: 4, amount: "100" }, tx),
    ev(
      "PanelPaid",
      { worker: W, beneficiary: W, fee_each: "50", bonds_each: "100", remainder: "0" },
      tx,
    ),
  ];
  const [d] = disputes(events);
  assert.equal(d.appeal, true);
  assert.deepEqual(
    d.members.map((m) => [m.state, m.slashed, memberPay(d, m)]),
    [
      ["honest", 0n, 150n],
      ["fraud", 100n, 50n],
    ],
  );
});

test("a silent panel: nobody voted for the outcome, so its forfeited stakes go to the treasury", () => {
  const tx = "0xsilent";
  const events = [
    ev("DisputeOpened", { worker: W, disputer: W, bond: "100", reason_cid: "bafy" }),
    ev("PanelDrawn", { worker: W, members: [M1, M2, M3], seed: "0x" }),
    ev("VoteCommitted", { worker: W, voter: M1, commitment: "0x1" }),
    ev("DisputeResolved", { worker: W, fraud: true, votes_fraud: 0, votes_honest: 0 }, tx),
    ev("Slashed", { worker: M1, job_id: 1, reason: 3, amount: "100" }, tx),
    ev("Slashed", { worker: M2, job_id: 1, reason: 3, amount: "100" }, tx),
    ev("Slashed", { worker: M3, job_id: 1, reason: 3, amount: "60" }, tx),
    ev(
      "PanelPaid",
      { worker: W, beneficiary: ARTIST, fee_each: "0", bonds_each: "0", remainder: "100" },
      tx,
    ),
  ];
  const [d] = disputes(events);
  assert.deepEqual(states(events), ["silent", "silent", "silent"]);
  assert.equal(d.pay?.toTreasury, 260n);
  assert.equal(d.pay?.remainder, 100n);
  assert.deepEqual(
    d.members.map((m) => memberPay(d, m)),
    [0n, 0n, 0n],
  );
});

test("a challenge of a pass is told from an appeal and a contest; its remainder goes to the challenger", () => {
  const C = "0x000000000000000000000000000000000000000C";
  const V = "0x000000000000000000000000000000000000000d";
  const tx = "0xchallenge";
  const events = [
    ev("JobPosted", { artist: ARTIST, deposit: "1" }),
    ev("ResultsAttested", { worker: W, verifier: V, passed: true, evidence_cid: "bafy-e" }),
    ev("ResultsAccepted", { worker: W }),
    ev("DisputeOpened", { worker: W, disputer: C, bond: "100", reason_cid: "bafy" }),
    ev("PanelDrawn", { worker: W, members: [M1, M2, M3], seed: "0x" }),
    ev("DisputeResolved", { worker: W, fraud: true, votes_fraud: 0, votes_honest: 0 }, tx),
    ev("Slashed", { worker: V, job_id: 1, reason: 2, amount: "500" }, tx),
    ev("VerifierReplaced", { worker: W, silent_verifier: V, round: 1 }, tx),
    ev(
      "PanelPaid",
      { worker: W, beneficiary: C, fee_each: "0", bonds_each: "0", remainder: "100" },
      tx,
    ),
  ];
  const [d] = disputes(events);
  assert.equal(d.kind, "challenge");
  assert.equal(d.appeal, false);
  assert.equal(d.fraud, true);
  assert.equal(d.pay?.beneficiary, C);
  const kinds = disputeKinds(events);
  assert.deepEqual(
    events.filter((e) => kinds.get(e) === "challenge").map((e) => e.name),
    ["DisputeOpened", "PanelDrawn", "DisputeResolved", "VerifierReplaced", "PanelPaid"],
  );
  // The worker's own dispute of its failed seat is an appeal; the artist's of a pass a contest.
  const failed = [
    ev("JobPosted", { artist: ARTIST, deposit: "1" }),
    ev("ResultsAttested", { worker: W, verifier: V, passed: false, evidence_cid: "bafy-e" }),
    ev("DisputeOpened", { worker: W, disputer: W, bond: "100", reason_cid: "bafy" }),
  ];
  assert.equal(disputes(failed)[0].kind, "appeal");
  const contested = [
    ...events.slice(0, 3),
    ev("DisputeOpened", { worker: W, disputer: ARTIST, bond: "100", reason_cid: "bafy" }),
  ];
  assert.equal(disputes(contested)[0].kind, "contest");
});
