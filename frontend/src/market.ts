// The artist's calls to the JobMarket contract, signed by the wallet: quote, post, cancel,
// claim late seats, pay accepted seats at once, take the collateral of unrevealed bids, re-offer
// unsold tiles, raise the maximum price, end re-offering, withdraw, and what the market holds for
// the wallet and the parameters a round's cost depends on.
import { type Abi, type Address, type Hash, parseEventLogs } from "viem";
import { PlainError } from "./errors";
import type { FeeConfig } from "./reserve";
import type { PageConfig } from "./types";
import type { WalletService } from "./wallet";

/** The contract's `JobParams`, field for field. */
export interface JobParams {
  tileCount: number;
  frameCount: number;
  maxPricePerTile: bigint;
  verifyFeePerTile: bigint;
  bidBond: bigint;
  bidWindow: number;
  revealWindow: number;
  renderWindow: number;
  verifyWindow: number;
  /** Re-offer rounds after the first sale (0..8). */
  maxRounds: number;
  /** Unix time after which no round opens; 0 without rounds. */
  finalDeadline: number;
}

export class Market {
  readonly address: Address;
  readonly abi: Abi;

  constructor(
    config: PageConfig,
    private readonly wallet: WalletService,
  ) {
    if (!config.market_address || !config.market_abi) {
      throw new PlainError(
        "This server follows no market contract, so jobs cannot be posted here. Its operator " +
          "sets TILEFARM_SERVER_DEPLOYMENTS_FILE to the market's deployments file (on the devnet: " +
          ".tilefarm/deployments/31337.json, written by `tilefarm devnet up`).",
      );
    }
    this.address = config.market_address;
    this.abi = config.market_abi;
  }

  /** The exact deposit `postJob` requires. */
  async quote(tiles: number, maxPricePerTile: bigint, verifyFeePerTile: bigint): Promise<bigint> {
    return (await this.wallet.publicClient.readContract({
      address: this.address,
      abi: this.abi,
      functionName: "quote",
      args: [BigInt(tiles), maxPricePerTile, verifyFeePerTile],
    })) as bigint;
  }

  /** The market's fee parameters (the contract's `config()`). */
  async feeConfig(): Promise<FeeConfig> {
    const config = (await this.wallet.publicClient.readContract({
      address: this.address,
      abi: this.abi,
      functionName: "config",
    })) as { protocolFeeBps: number | bigint; drawBountyBps: number | bigint };
    return {
      protocolFeeBps: BigInt(config.protocolFeeBps),
      drawBountyBps: BigInt(config.drawBountyBps),
    };
  }

  /** What the market credits `who` (refunds, pay), withdrawable at once. */
  async credit(who: Address): Promise<bigint> {
    return (await this.wallet.publicClient.readContract({
      address: this.address,
      abi: this.abi,
      functionName: "balanceOf",
      args: [who],
    })) as bigint;
  }

  /** Post and pay in one transaction; `onSent` hears the hash before it is mined. */
  async postJob(
    params: JobParams,
    manifestCid: string,
    deposit: bigint,
    onSent: (hash: Hash) => void,
  ): Promise<{ jobId: bigint; hash: Hash }> {
    const account = await this.ready();
    // A dry run first: a contract error comes back by name with its values.
    const { request } = await this.wallet.publicClient.simulateContract({
      address: this.address,
      abi: this.abi,
      functionName: "postJob",
      args: [params, manifestCid],
      value: deposit,
      account,
    });
    const hash = await this.wallet.client!.writeContract({ ...request, account } as never);
    onSent(hash);
    const receipt = await this.wallet.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new PlainError(`The transaction ${hash} reverted.`);
    const posted = parseEventLogs({ abi: this.abi, logs: receipt.logs, eventName: "JobPosted" });
    const jobId = (posted[0] as unknown as { args: { jobId: bigint } } | undefined)?.args.jobId;
    if (jobId === undefined) throw new PlainError(`The transaction ${hash} posted no job.`);
    return { jobId, hash };
  }

  async cancelJob(jobId: number): Promise<Hash> {
    return this.send("cancelJob", [BigInt(jobId)]);
  }

  /** A seat still unrendered after the job's render deadline: the worker is slashed to the
   * artist and the seat's escrow comes back at the job's end. */
  async claimLate(jobId: number, worker: Address): Promise<Hash> {
    return this.send("claimLate", [BigInt(jobId), worker]);
  }

  /** Pay an accepted seat at once, waiving its contest window (on a seat whose results are
   * submitted or failed, the same call accepts them without waiting for a verifier). */
  async acceptResults(jobId: number, worker: Address): Promise<Hash> {
    return this.send("acceptResults", [BigInt(jobId), worker]);
  }

  /** A sealed bid never revealed, once the reveal window is over: the collateral it locked is
   * slashed to the artist. */
  async forfeitBid(jobId: number, bidder: Address): Promise<Hash> {
    return this.send("forfeitBid", [BigInt(jobId), bidder]);
  }

  /** Open the job's next round over all its unsold tiles (anyone may; the caller earns the
   * round's bounty out of the job's reserve). */
  async reoffer(jobId: number): Promise<Hash> {
    return this.send("reoffer", [BigInt(jobId)]);
  }

  /** The artist adds `value` to the job's reserve and raises later rounds' maximum price. */
  async topUp(jobId: number, maxPricePerTile: bigint, value: bigint): Promise<Hash> {
    return this.send("topUp", [BigInt(jobId), maxPricePerTile], value);
  }

  /** No more rounds: the job completes, and refunds its reserve, once nothing is open. */
  async endReoffering(jobId: number): Promise<Hash> {
    return this.send("endReoffering", [BigInt(jobId)]);
  }

  async withdraw(): Promise<Hash> {
    return this.send("withdraw", []);
  }

  private async ready() {
    await this.wallet.connect();
    await this.wallet.ensureChain();
    return this.wallet.client!.account ?? this.wallet.address!;
  }

  private async send(functionName: string, args: unknown[], value?: bigint): Promise<Hash> {
    const account = await this.ready();
    // A dry run first: a refusal comes back as the contract's error, by name with its values
    // (a wallet sending at once would only say that the transaction reverted).
    await this.wallet.publicClient.simulateContract({
      address: this.address,
      abi: this.abi,
      functionName,
      args,
      value,
      account,
    } as never);
    const hash = await this.wallet.client!.writeContract({
      address: this.address,
      abi: this.abi,
      functionName,
      args,
      value,
      chain: this.wallet.chain,
      account,
    } as never);
    const receipt = await this.wallet.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new PlainError(`The transaction ${hash} reverted.`);
    return hash;
  }
}
