// What every page is handed by the entry (main.ts): the server's configuration, the wallet, the
// market contract and navigation. Pages import it from here, never from main.ts, which imports them.
import type { Market } from "./market";
import type { PageConfig } from "./types";
import type { WalletService } from "./wallet";

export interface Ctx {
  config: PageConfig;
  wallet: WalletService;
  /** The market contract (throws, saying so, when none is deployed). */
  market: () => Market;
  navigate: (hash: string) => void;
  refreshWallet: () => void;
}
