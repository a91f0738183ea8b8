// The artist's wallet. An injected EIP-1193 wallet (a browser extension) when there is one;
// otherwise, on the devnet only, a key made in this browser and kept in localStorage, funded by
// the server's faucet. Either way the browser signs: the server never holds an artist's key.
import {
  type Address,
  type Chain,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { postJson } from "./api";
import { PlainError } from "./errors";
import type { FaucetGrant, PageConfig } from "./types";

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export type WalletKind = "injected" | "local" | "none";

export class WalletService {
  readonly chain: Chain;
  readonly publicClient: PublicClient;
  kind: WalletKind;
  address: Address | null = null;
  client: WalletClient | null = null;
  private localAccount: PrivateKeyAccount | null = null;
  private listeners = new Set<() => void>();

  constructor(readonly config: PageConfig) {
    const id = config.chain_id ?? 31337;
    this.chain = defineChain({
      id,
      name: config.devnet ? "tilefarm devnet" : `chain ${id}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [config.rpc_url] } },
    });
    this.publicClient = createPublicClient({ chain: this.chain, transport: http(config.rpc_url) });
    this.kind = window.ethereum ? "injected" : config.devnet ? "local" : "none";
    if (this.kind === "local") this.loadLocal();
    if (this.kind === "injected") void this.restoreInjected();
  }

  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private loadLocal(): void {
    const slot = `tilefarm.devKey.${this.chain.id}`;
    let key = localStorage.getItem(slot) as `0x${string}` | null;
    if (!key || !/^0x[0-9a-f]{64}$/i.test(key)) {
      key = generatePrivateKey();
      localStorage.setItem(slot, key);
    }
    this.localAccount = privateKeyToAccount(key);
    this.address = this.localAccount.address;
    this.client = createWalletClient({
      account: this.localAccount,
      chain: this.chain,
      transport: http(this.config.rpc_url),
    });
  }

  private async restoreInjected(): Promise<void> {
    const provider = window.ethereum;
    if (!provider) return;
    provider.on?.("accountsChanged", (accounts: string[]) => this.useInjected(accounts));
    provider.on?.("chainChanged", () => this.changed());
    const accounts = (await provider.request({ method: "eth_accounts" })) as string[];
    this.useInjected(accounts);
  }

  private useInjected(accounts: readonly string[]): void {
    const provider = window.ethereum;
    if (!provider) return;
    this.address = (accounts[0] as Address | undefined) ?? null;
    this.client = this.address
      ? createWalletClient({
          account: this.address,
          chain: this.chain,
          transport: custom(provider),
        })
      : null;
    this.changed();
  }

  /** Ask the injected wallet for an account (the local key needs no asking). */
  async connect(): Promise<Address> {
    if (this.kind === "none") {
      throw new PlainError(
        "No wallet found. Install a browser wallet (for example MetaMask) and reload this page.",
      );
    }
    if (this.kind === "injected" && !this.address) {
      const accounts = (await window.ethereum!.request({
        method: "eth_requestAccounts",
      })) as string[];
      this.useInjected(accounts);
    }
    if (!this.address) throw new PlainError("Your wallet did not share an account with this page.");
    return this.address;
  }

  /** The injected wallet must be on the marketplace's chain; ask it to switch if not. */
  async ensureChain(): Promise<void> {
    if (this.kind !== "injected") return;
    const provider = window.ethereum!;
    const current = Number.parseInt(
      (await provider.request({ method: "eth_chainId" })) as string,
      16,
    );
    if (current === this.chain.id) return;
    try {
      await provider.request({
        method: "wallet_switchEthereumChain",
        params: [{ chainId: `0x${this.chain.id.toString(16)}` }],
      });
    } catch {
      throw new PlainError(
        `Wrong network: your wallet is on chain ${current}, the marketplace runs on chain ${this.chain.id}` +
          (this.config.devnet ? ` (the local devnet at ${this.config.rpc_url})` : "") +
          ". Switch networks in your wallet, then try again.",
      );
    }
  }

  async balance(): Promise<bigint> {
    if (!this.address) return 0n;
    return this.publicClient.getBalance({ address: this.address });
  }

  /** Test ETH from the devnet faucet for this browser's address. */
  async fund(): Promise<string> {
    const address = await this.connect();
    const grant = await postJson<FaucetGrant>("/api/faucet", { address });
    await this.publicClient.waitForTransactionReceipt({ hash: grant.tx_hash as `0x${string}` });
    this.changed();
    return grant.tx_hash;
  }

  label(): string {
    if (this.kind === "local") return "Devnet key in this browser";
    if (this.kind === "injected") return "Browser wallet";
    return "No wallet";
  }
}
