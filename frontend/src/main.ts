// The page's entry: load the server's configuration, set up the wallet, route by URL hash.
import "./style.css";
import { api } from "./api";
import type { Ctx } from "./app";
import { clear, h, notice, toast } from "./dom";
import { explain } from "./errors";
import { eth, short } from "./format";
import { Market } from "./market";
import { auditPage } from "./pages/audit";
import { jobPage } from "./pages/job";
import { jobsPage } from "./pages/jobs";
import { submitPage } from "./pages/submit";
import { workersPage } from "./pages/workers";
import type { PageConfig } from "./types";
import { WalletService } from "./wallet";

const main = document.getElementById("main")!;
const walletBox = document.getElementById("wallet")!;

async function renderWallet(ctx: Ctx): Promise<void> {
  const { wallet, config } = ctx;
  if (wallet.kind === "none") {
    clear(walletBox, h("span", { class: "muted" }, "No wallet: install one to post jobs"));
    return;
  }
  if (!wallet.address) {
    clear(
      walletBox,
      h(
        "button",
        { type: "button", onclick: () => void wallet.connect().catch((e) => toast(explain(e))) },
        "Connect wallet",
      ),
    );
    return;
  }
  let balance = "…";
  try {
    balance = eth(await wallet.balance());
  } catch {
    balance = "chain unreachable";
  }
  const credit = await marketCredit(ctx);
  const withdrawButton =
    credit > 0n
      ? h(
          "button",
          {
            type: "button",
            class: "small",
            id: "withdraw",
            onclick: () => void withdraw(ctx, credit),
          },
          `Withdraw ${eth(credit)}`,
        )
      : null;
  const fundButton =
    wallet.kind === "local" && config.faucet
      ? h(
          "button",
          { type: "button", class: "small", id: "faucet", onclick: () => void fund(ctx) },
          "Get test ETH",
        )
      : null;
  clear(
    walletBox,
    h(
      "span",
      { class: "who", title: `${wallet.label()}: ${wallet.address}` },
      h("span", { class: "kind" }, wallet.label()),
      " ",
      h("code", { class: "mono", id: "wallet-address" }, short(wallet.address)),
    ),
    " ",
    h("span", { id: "wallet-balance" }, balance),
    withdrawButton,
    fundButton,
  );
}

/** What the market holds for this wallet (refunds, pay), or 0 when it cannot say. */
async function marketCredit(ctx: Ctx): Promise<bigint> {
  if (!ctx.wallet.address) return 0n;
  try {
    return await ctx.market().credit(ctx.wallet.address);
  } catch {
    return 0n;
  }
}

async function withdraw(ctx: Ctx, credit: bigint): Promise<void> {
  const button = document.getElementById("withdraw") as HTMLButtonElement | null;
  if (button) button.disabled = true;
  try {
    await ctx.market().withdraw();
    toast(`${eth(credit)} withdrawn to your wallet`);
  } catch (err) {
    toast(explain(err));
  }
  void renderWallet(ctx);
}

async function fund(ctx: Ctx): Promise<void> {
  try {
    await ctx.wallet.fund();
    toast("Test ETH arrived in your devnet key");
  } catch (err) {
    toast(explain(err));
  }
  void renderWallet(ctx);
}

function route(ctx: Ctx, cleanup: { fn: () => void }): void {
  cleanup.fn();
  const [hash = "/", query = ""] = (location.hash.replace(/^#/, "") || "/").split("?", 2);
  const parts = hash.split("/").filter(Boolean);
  const section = parts[0] ?? "submit";
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    const current =
      a.dataset.nav === section || (section === "submit" && a.dataset.nav === "submit");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (section === "jobs" && parts[1] && /^\d+$/.test(parts[1])) {
    cleanup.fn = jobPage(main, ctx, Number(parts[1]));
  } else if (section === "jobs") {
    cleanup.fn = jobsPage(main, ctx);
  } else if (section === "workers") {
    cleanup.fn = workersPage(main, ctx, parts[1] ?? null);
  } else if (section === "audit") {
    cleanup.fn = auditPage(main, ctx, parts[1] && /^\d+$/.test(parts[1]) ? Number(parts[1]) : null);
  } else {
    cleanup.fn = submitPage(main, ctx, new URLSearchParams(query).get("scene"));
  }
  main.focus({ preventScroll: true });
}

async function start(): Promise<void> {
  let config: PageConfig;
  try {
    config = await api<PageConfig>("/api/config");
  } catch (err) {
    clear(main, notice("error", `The page cannot start: ${explain(err)}`));
    return;
  }
  const wallet = new WalletService(config);
  const ctx: Ctx = {
    config,
    wallet,
    market: () => new Market(config, wallet),
    navigate: (hash) => {
      location.hash = hash;
    },
    refreshWallet: () => void renderWallet(ctx),
  };
  wallet.onChange(() => void renderWallet(ctx));
  await renderWallet(ctx);
  if (wallet.kind === "local" && config.faucet && (await wallet.balance().catch(() => 1n)) === 0n) {
    void fund(ctx); // a fresh devnet key: fund it once so that posting works at once
  }
  document.body.dataset.ready = "true";
  const cleanup = { fn: () => {} };
  window.addEventListener("hashchange", () => route(ctx, cleanup));
  route(ctx, cleanup);
  if (!config.devnet && wallet.kind === "none")
    toast("No browser wallet found: you can browse, but not post jobs.");
}

void start();
