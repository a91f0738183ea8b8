// A posted job's reserve and what its rounds cost (pure: no DOM, no network). The reserve is the
// part of the escrow no seat is owed; a round opens only if it holds the round's tiles at the
// maximum price (with the protocol fee and the verifier fee) plus the opener's bounty, as the
// contract's `reoffer` checks (`ReserveTooLow`).
import { wei } from "./json";
import type { LedgerEntry } from "./types";

const BPS = 10_000n;

/** The market's parameters a round's cost depends on (the contract's `config()`). */
export interface FeeConfig {
  protocolFeeBps: bigint;
  drawBountyBps: bigint;
}

/** The opener's bounty for a round of `tiles` tiles: `drawBountyBps` of their verifier fees. */
export function openerBounty(tiles: number, verifyFeePerTile: bigint, config: FeeConfig): bigint {
  return (BigInt(tiles) * verifyFeePerTile * config.drawBountyBps) / BPS;
}

/** What the reserve must hold to open a round of `tiles` tiles at `maxPricePerTile`: each tile's
 * price, protocol fee and verifier fee, and the opener's bounty (integer division as on chain). */
export function roundNeeds(
  tiles: number,
  maxPricePerTile: bigint,
  verifyFeePerTile: bigint,
  config: FeeConfig,
): bigint {
  const fee = (maxPricePerTile * config.protocolFeeBps) / BPS;
  return (
    BigInt(tiles) * (maxPricePerTile + fee + verifyFeePerTile) +
    openerBounty(tiles, verifyFeePerTile, config)
  );
}

/** What a top-up must add for the reserve to fund a round of `tiles` tiles at the new maximum
 * price: what the round needs less what the reserve holds, never below zero. */
export function topUpNeeded(
  tiles: number,
  maxPricePerTile: bigint,
  verifyFeePerTile: bigint,
  reserve: bigint,
  config: FeeConfig,
): bigint {
  const short = roundNeeds(tiles, maxPricePerTile, verifyFeePerTile, config) - reserve;
  return short > 0n ? short : 0n;
}

/** What one round (0: the posted job's own sale) paid out, in wei. */
export interface RoundCost {
  roundId: number;
  round: number;
  workers: bigint;
  verifiers: bigint;
  /** Draw bounties and the opener's bounty. */
  bounties: bigint;
  panels: bigint;
}

/** What each round paid its workers, verifiers, drawers and opener, and dispute panels, from the
 * posted job's ledger entries (each names its round); `rounds` maps job ids to round numbers.
 * In round order; the posted job's sale first. */
export function roundCosts(
  entries: readonly LedgerEntry[],
  rounds: ReadonlyMap<number, number>,
): RoundCost[] {
  const costs = new Map<number, RoundCost>();
  const cost = (roundId: number) => {
    let c = costs.get(roundId);
    if (!c) {
      c = {
        roundId,
        round: rounds.get(roundId) ?? 0,
        workers: 0n,
        verifiers: 0n,
        bounties: 0n,
        panels: 0n,
      };
      costs.set(roundId, c);
    }
    return c;
  };
  for (const [roundId] of rounds) cost(roundId);
  for (const e of entries) {
    if (e.direction !== "out") continue;
    const c = cost(e.round_id);
    const amount = wei(e.amount);
    if (e.role === "worker") c.workers += amount;
    else if (e.role === "verifier") c.verifiers += amount;
    else if (e.role === "drawer" || e.role === "opener") c.bounties += amount;
    else if (e.role === "panel") c.panels += amount;
  }
  return [...costs.values()].sort((a, b) => a.round - b.round || a.roundId - b.roundId);
}
