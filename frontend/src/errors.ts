// Turning what wallets, viem and the server throw into sentences an artist can act on.
import {
  BaseError,
  ChainMismatchError,
  ContractFunctionRevertedError,
  InsufficientFundsError,
  UserRejectedRequestError,
} from "viem";
import { ApiError } from "./api";

/** An error whose message is already written for people. */
export class PlainError extends Error {}

function walkFor<T>(err: unknown, cls: new (...args: never[]) => T): T | null {
  if (err instanceof cls) return err;
  if (err instanceof BaseError) {
    const found = err.walk((e) => e instanceof cls);
    return (found as T | null) ?? null;
  }
  return null;
}

function rejectedByUser(err: unknown): boolean {
  if (walkFor(err, UserRejectedRequestError)) return true;
  let e: unknown = err;
  for (let i = 0; i < 6 && e; i++) {
    if ((e as { code?: unknown }).code === 4001) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function explain(err: unknown): string {
  if (err instanceof ApiError || err instanceof PlainError) return err.message;
  if (rejectedByUser(err)) {
    return "You declined the request in your wallet. Nothing was sent and nothing was paid; your settings are kept, so you can try again.";
  }
  if (walkFor(err, InsufficientFundsError)) {
    return "Your wallet does not hold enough ETH to pay this job's deposit and the gas. Add ETH or lower the maximum price per tile.";
  }
  if (walkFor(err, ChainMismatchError)) {
    return "Your wallet is on another network than the marketplace. Switch networks in your wallet and try again.";
  }
  const reverted = walkFor(err, ContractFunctionRevertedError);
  if (reverted?.data?.errorName) {
    const args = (reverted.data.args ?? []).map(String).join(", ");
    return `The market contract refused: ${reverted.data.errorName}(${args}).`;
  }
  if (err instanceof BaseError) return err.shortMessage || err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
