// A job's disputes and their panels, from the job's chain events alone (pure: no DOM, no
// network). Three kinds: the worker appeals a failed spot-check, the artist contests a pass (the
// tiles are fraudulent), anyone else challenges a pass as contradicting its verifier's own sealed
// evidence (the panel recomputes the verdict without rendering; "fraud" then means
// "contradicted": the verifier is slashed to the challenger and the seat is checked again, else
// the pass stands). Panel members vote sealed: each commits a hash of its vote, then reveals it once
// every member has sealed or the commit window has closed. At the verdict the side that lost
// pays the panel (PanelPaid): every member that revealed gets an equal share of the fee, every
// member that revealed for the outcome also shares what the silent and outvoted members were
// slashed (when none did, that goes to the treasury instead), and what is left goes to the side
// the outcome favours.
import { wei } from "./json";
import type { ChainEvent } from "./types";

/** drawn: no vote sealed yet; sealed: committed, not revealed yet; fraud / honest: revealed;
 * silent: the verdict came without its vote revealed. */
export type MemberState = "drawn" | "sealed" | "fraud" | "honest" | "silent";

export const MEMBER_LABELS: Record<MemberState, string> = {
  drawn: "Drawn",
  sealed: "Vote sealed",
  fraud: "Revealed: fraud",
  honest: "Revealed: honest",
  silent: "Silent",
};

export interface PanelMember {
  address: string;
  state: MemberState;
  /** What it lost at the verdict (silent, or outvoted), in wei. */
  slashed: bigint;
}

export interface PanelPay {
  beneficiary: string;
  feeEach: bigint;
  bondsEach: bigint;
  remainder: bigint;
  /** The members' forfeited stakes, when no member revealed a vote for the outcome. */
  toTreasury: bigint;
}

/** appeal: the worker appealed a fail; contest: the artist contested a pass; challenge: anyone
 * else challenged a pass as contradicting its verifier's own sealed evidence. */
export type DisputeKind = "appeal" | "contest" | "challenge";

export const DISPUTE_LABELS: Record<DisputeKind, string> = {
  appeal: "Appeal of a failed spot-check",
  contest: "Contest of a passed spot-check",
  challenge: "Challenge of a pass its own evidence contradicts",
};

export interface Dispute {
  worker: string;
  disputer: string;
  kind: DisputeKind;
  /** The worker appealed a fail (kind "appeal"). */
  appeal: boolean;
  bond: bigint;
  drawn: boolean;
  members: PanelMember[];
  resolved: boolean;
  fraud: boolean | null;
  pay: PanelPay | null;
}

const isZero = (x: unknown) => typeof x !== "string" || /^0x0*$/i.test(x);
const same = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

/** What a member's revealed vote means on a challenge: "fraud" is "the pass contradicts its
 * evidence". */
export const CHALLENGE_VOTE_LABELS: Record<"fraud" | "honest", string> = {
  fraud: "Revealed: contradicted",
  honest: "Revealed: not contradicted",
};

/** The kind of each dispute's events: its DisputeOpened, PanelDrawn, votes and DisputeResolved,
 * and the VerifierReplaced and PanelPaid of its verdict's transaction. As the contract tells them apart:
 * the worker appeals its failed seat; on a passed seat the artist contests and anyone else (the
 * worker too) challenges. */
export function disputeKinds(events: readonly ChainEvent[]): Map<ChainEvent, DisputeKind> {
  const kinds = new Map<ChainEvent, DisputeKind>();
  let artist: unknown = null;
  const failed = new Map<string, boolean>(); // by worker, lower case: its seat's last verdict
  const open = new Map<string, DisputeKind>(); // by worker: the latest dispute's kind
  let verdict: { tx: string; kind: DisputeKind } | null = null;
  for (const event of events) {
    const a = event.args;
    const worker = typeof a.worker === "string" ? a.worker.toLowerCase() : "";
    switch (event.name) {
      case "JobPosted":
        artist = a.artist;
        break;
      case "ResultsAttested":
        failed.set(worker, !a.passed);
        break;
      case "ResultsAccepted":
        failed.set(worker, false);
        break;
      case "DisputeOpened": {
        // Without the seat's verdict in the list, a worker disputing its own seat appeals.
        const appeal = failed.has(worker) ? failed.get(worker) : same(a.disputer, a.worker);
        const kind: DisputeKind = appeal
          ? "appeal"
          : same(a.disputer, artist) || artist === null
            ? "contest"
            : "challenge";
        open.set(worker, kind);
        kinds.set(event, kind);
        break;
      }
      case "PanelDrawn":
      case "VoteCommitted":
      case "VoteCast": {
        const kind = open.get(worker);
        if (kind) kinds.set(event, kind);
        break;
      }
      case "DisputeResolved": {
        const kind = open.get(worker);
        if (kind) {
          kinds.set(event, kind);
          verdict = { tx: event.tx_hash, kind };
        }
        break;
      }
      case "VerifierReplaced":
        failed.set(worker, false);
        if (verdict && verdict.tx === event.tx_hash) kinds.set(event, verdict.kind);
        break;
      case "PanelPaid":
        if (verdict && verdict.tx === event.tx_hash) kinds.set(event, verdict.kind);
        break;
    }
  }
  return kinds;
}

/** Every dispute of the job, in the order they were opened. */
export function disputes(events: readonly ChainEvent[]): Dispute[] {
  const kinds = disputeKinds(events);
  const open = new Map<string, Dispute>(); // by worker, lower case: the latest dispute
  const all: Dispute[] = [];
  let verdictTx: string | null = null; // the transaction of the latest DisputeResolved
  let judged: Dispute | null = null;
  for (const event of events) {
    const a = event.args;
    const worker = typeof a.worker === "string" ? a.worker : null;
    const d = worker ? open.get(worker.toLowerCase()) : undefined;
    const member = (who: unknown) => d?.members.find((m) => same(m.address, who));
    switch (event.name) {
      case "DisputeOpened": {
        if (!worker) break;
        const kind = kinds.get(event) ?? "contest";
        const fresh: Dispute = {
          worker,
          disputer: String(a.disputer),
          kind,
          appeal: kind === "appeal",
          bond: wei(a.bond),
          drawn: false,
          members: [],
          resolved: false,
          fraud: null,
          pay: null,
        };
        open.set(worker.toLowerCase(), fresh);
        all.push(fresh);
        break;
      }
      case "PanelDrawn":
        if (!d) break;
        d.drawn = true;
        d.members = (Array.isArray(a.members) ? a.members : [])
          .filter((m) => !isZero(m))
          .map((m) => ({ address: String(m), state: "drawn" as MemberState, slashed: 0n }));
        break;
      case "VoteCommitted": {
        const m = member(a.voter);
        if (m && m.state === "drawn") m.state = "sealed";
        break;
      }
      case "VoteCast": {
        const m = member(a.voter);
        if (m) m.state = a.fraud ? "fraud" : "honest";
        break;
      }
      case "DisputeResolved":
        if (!d) break;
        d.resolved = true;
        d.fraud = Boolean(a.fraud);
        for (const m of d.members)
          if (m.state === "drawn" || m.state === "sealed") m.state = "silent";
        verdictTx = event.tx_hash;
        judged = d;
        break;
      case "Slashed": {
        // A silent or outvoted member's slash, in the verdict's own transaction.
        if (judged && event.tx_hash === verdictTx) {
          const m = judged.members.find((x) => same(x.address, a.worker));
          if (m) m.slashed += wei(a.amount);
        }
        break;
      }
      case "PanelPaid": {
        if (!d) break;
        // Its members' slashes came just before, in the same transaction.
        const winners = d.members.filter((m) => votedForOutcome(d, m)).length;
        const forfeited = d.members.reduce((sum, m) => sum + m.slashed, 0n);
        d.pay = {
          beneficiary: String(a.beneficiary),
          feeEach: wei(a.fee_each),
          bondsEach: wei(a.bonds_each),
          remainder: wei(a.remainder),
          toTreasury: winners === 0 ? forfeited : 0n,
        };
        break;
      }
    }
  }
  return all;
}

/** Whether a member revealed the vote the panel's outcome agreed with. */
export function votedForOutcome(d: Dispute, m: PanelMember): boolean {
  return d.fraud !== null && (m.state === "fraud" || m.state === "honest")
    ? (m.state === "fraud") === d.fraud
    : false;
}

/** What a member was credited for its work on the panel (0 before the panel is paid). */
export function memberPay(d: Dispute, m: PanelMember): bigint {
  if (!d.pay || (m.state !== "fraud" && m.state !== "honest")) return 0n;
  return d.pay.feeEach + (votedForOutcome(d, m) ? d.pay.bondsEach : 0n);
}
