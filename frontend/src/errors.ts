// Turning what wallets, viem and the server throw into sentences an artist can act on.
import {
  BaseError,
  ChainMismatchError,
  ContractFunctionRevertedError,
  InsufficientFundsError,
  UserRejectedRequestError,
} from "viem";
import { ApiError } from "./api";
import { eth, when } from "./format";

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

// The contract's JobStatus, by value.
const JOB_STATUS = ["not posted", "Bidding", "Active", "Completed", "Cancelled", "Expired"];

/** The market's custom errors an artist can meet, in words (the others are shown by name). */
const CONTRACT_ERRORS: Record<string, (a: readonly unknown[]) => string> = {
  ReserveTooLow: ([job, needed, reserve]) =>
    `Job ${job}'s reserve holds ${eth(reserve)}, and a round of its unsold tiles needs ` +
    `${eth(needed)} (each tile at the maximum price with the protocol and verifier fees, and the ` +
    `opener's bounty). The artist may raise the maximum price and add the difference, then re-offer.`,
  MaxPriceLowered: ([, current, proposed]) =>
    `The maximum price per tile can only go up: it is ${eth(current)} now, and ${eth(proposed)} ` +
    "was asked. Choose at least the current price.",
  ReofferingOver: ([job]) =>
    `Re-offering of job ${job} is over: no round is left, the final deadline has passed, or it ` +
    "was ended. The tiles still unsold will not be delivered.",
  NothingToReoffer: ([job]) => `Job ${job} has no unsold tiles: there is nothing to re-offer.`,
  RoundStillBidding: ([job, round]) =>
    `Job ${job}'s latest round (job ${round}) is still taking bids: its unsold tiles can be ` +
    "re-offered once it has settled.",
  ReofferingNotOver: ([job, deadline]) =>
    `Only the artist may end re-offering of job ${job} before its final deadline ` +
    `(${when(Number(deadline))}).`,
  NotAPostedJob: ([job, root]) =>
    `Job ${job} is a re-offer round of job ${root}: re-offering is managed on job ${root}.`,
  InvalidRounds: ([rounds, deadline]) =>
    `The market refused ${rounds} re-offer rounds until ` +
    `${Number(deadline) ? when(Number(deadline)) : "no final deadline"}: rounds must be 0 to 8, ` +
    "with a final deadline after the first reveal window closes (and none without rounds).",
  NotArtist: ([job, caller, artist]) =>
    `Only job ${job}'s artist (${artist}) may do this; your wallet is ${caller}.`,
  JobNotInStatus: ([job, status, required]) =>
    `Job ${job} is ${JOB_STATUS[Number(status)] ?? status}, and this needs it ` +
    `${JOB_STATUS[Number(required)] ?? required}. The page may be behind the chain: wait a moment.`,
};

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
    const sentence = CONTRACT_ERRORS[reverted.data.errorName];
    if (sentence) return sentence(reverted.data.args ?? []);
    const args = (reverted.data.args ?? []).map(String).join(", ");
    return `The market contract refused: ${reverted.data.errorName}(${args}).`;
  }
  if (err instanceof BaseError) return err.shortMessage || err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
