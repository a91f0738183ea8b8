// A job's disputes and their panels, from the job's chain events alone (pure: no DOM, no
// network). Panel members vote sealed: each commits a hash of its vote, then reveals it once
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

export interface Dispute {
  worker: string;
  disputer: string;
  /** The worker appealed a fail (else the artist contested a pass). */
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

/** Every dispute of the job, in the order they were opened. */
export function disputes(events: readonly ChainEvent[]): Dispute[] {
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
        const fresh: Dispute = {
          worker,
          disputer: String(a.disputer),
          appeal: same(a.disputer, worker),
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
