// The artist's calls to the JobMarket contract, signed by the wallet: quote, post, cancel,
// claim late seats, pay accepted seats at once, take the collateral of unrevealed bids, re-offer
// unsold tiles, raise the maximum price, end re-offering, withdraw, and what the market holds for
// the wallet and the parameters a round's cost depends on.
import {
  type Address,
  type ContractFunctionArgs,
  type Hash,
  type TransactionReceipt,
  isAddress,
  parseEventLogs,
} from "viem";
import { PlainError } from "./errors";
import { jobMarketAbi } from "./generated/abi";
import type { FeeConfig } from "./reserve";
import type { PageConfig } from "./types";
import type { WalletService } from "./wallet";

/** The contract's `JobParams`, as `postJob` takes them (from the ABI). */
export type JobParams = ContractFunctionArgs<typeof jobMarketAbi, "payable", "postJob">[0];

export class Market {
  readonly address: Address;

  constructor(
    config: PageConfig,
    private readonly wallet: WalletService,
  ) {
    if (!config.market_address) {
      throw new PlainError(
        "This server follows no market contract, so jobs cannot be posted here. Its operator " +
          "sets TILEFARM_SERVER_DEPLOYMENTS_FILE to the market's deployments file (on the devnet: " +
          ".tilefarm/deployments/31337.json, written by `tilefarm devnet up`).",
      );
    }
    if (!isAddress(config.market_address, { strict: false })) {
      throw new PlainError(
        `The server names ${config.market_address} as the market contract, which is not an ` +
          "address. Its operator checks the deployments file it follows.",
      );
    }
    this.address = config.market_address;
  }

  /** The exact deposit `postJob` requires. */
  async quote(tiles: number, maxPricePerTile: bigint, verifyFeePerTile: bigint): Promise<bigint> {
    return this.wallet.publicClient.readContract({
      address: this.address,
      abi: jobMarketAbi,
      functionName: "quote",
      args: [BigInt(tiles), maxPricePerTile, verifyFeePerTile],
    });
  }

  /** The market's fee parameters (the contract's `config()`). */
  async feeConfig(): Promise<FeeConfig> {
    const config = await this.wallet.publicClient.readContract({
      address: this.address,
      abi: jobMarketAbi,
      functionName: "config",
    });
    return {
      protocolFeeBps: BigInt(config.protocolFeeBps),
      drawBountyBps: BigInt(config.drawBountyBps),
    };
  }

  /** What the market credits `who` (refunds, pay), withdrawable at once. */
  async credit(who: Address): Promise<bigint> {
    return this.wallet.publicClient.readContract({
      address: this.address,
      abi: jobMarketAbi,
      functionName: "balanceOf",
      args: [who],
    });
  }

  /** Post and pay in one transaction; `onSent` hears the hash before it is mined. */
  async postJob(
    params: JobParams,
    manifestCid: string,
    deposit: bigint,
    onSent: (hash: Hash) => void,
  ): Promise<{ jobId: bigint; hash: Hash }> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "postJob",
      args: [params, manifestCid],
      value: deposit,
    });
    const hash = await this.wallet.client!.writeContract(request);
    onSent(hash);
    const receipt = await this.mined(hash);
    const posted = parseEventLogs({
      abi: jobMarketAbi,
      logs: receipt.logs,
      eventName: "JobPosted",
    });
    const jobId = posted[0]?.args.jobId;
    if (jobId === undefined) throw new PlainError(`The transaction ${hash} posted no job.`);
    return { jobId, hash };
  }

  async cancelJob(jobId: number): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "cancelJob",
      args: [BigInt(jobId)],
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  /** A seat still unrendered after the job's render deadline: the worker is slashed to the
   * artist and the seat's escrow comes back at the job's end. */
  async claimLate(jobId: number, worker: Address): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "claimLate",
      args: [BigInt(jobId), worker],
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  /** Pay an accepted seat at once, waiving its contest window (on a seat whose results are
   * submitted or failed, the same call accepts them without waiting for a verifier). */
  async acceptResults(jobId: number, worker: Address): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "acceptResults",
      args: [BigInt(jobId), worker],
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  /** A sealed bid never revealed, once the reveal window is over: the collateral it locked is
   * slashed to the artist. */
  async forfeitBid(jobId: number, bidder: Address): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "forfeitBid",
      args: [BigInt(jobId), bidder],
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  /** Open the job's next round over all its unsold tiles (anyone may; the caller earns the
   * round's bounty out of the job's reserve). */
  async reoffer(jobId: number): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "reoffer",
      args: [BigInt(jobId)],
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  /** The artist adds `value` to the job's reserve and raises later rounds' maximum price. */
  async topUp(jobId: number, maxPricePerTile: bigint, value: bigint): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "topUp",
      args: [BigInt(jobId), maxPricePerTile],
      value,
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  /** No more rounds: the job completes, and refunds its reserve, once nothing is open. */
  async endReoffering(jobId: number): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "endReoffering",
      args: [BigInt(jobId)],
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  async withdraw(): Promise<Hash> {
    const { request } = await this.wallet.publicClient.simulateContract({
      ...(await this.caller()),
      functionName: "withdraw",
    });
    return this.confirmed(await this.wallet.client!.writeContract(request));
  }

  /** What every call is simulated with: the market, and the wallet's account, connected and on
   * the market's chain. Each call is simulated before the wallet signs it: a refusal then comes
   * back as the contract's error, by name with its values (a wallet sending at once would only
   * say that the transaction reverted). */
  private async caller() {
    await this.wallet.connect();
    await this.wallet.ensureChain();
    const account = this.wallet.client!.account ?? this.wallet.address!;
    return { address: this.address, abi: jobMarketAbi, account } as const;
  }

  /** The receipt of a sent transaction, once mined; a revert is an error. */
  private async mined(hash: Hash): Promise<TransactionReceipt> {
    const receipt = await this.wallet.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new PlainError(`The transaction ${hash} reverted.`);
    return receipt;
  }

  /** The hash of a sent transaction, once it is mined; a revert is an error. */
  private async confirmed(hash: Hash): Promise<Hash> {
    await this.mined(hash);
    return hash;
  }
}
