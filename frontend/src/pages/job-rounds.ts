// The job page's re-offer rounds: where re-offering stands (rounds left, final deadline, reserve,
// unsold tiles, each round and what it paid) and the actions on it: re-offer the unsold tiles now
// (anyone), raise the maximum price with what the reserve lacks, end re-offering (the artist).
import { formatEther, parseEther } from "viem";
import { type Child, clear, h } from "../dom";
import { eth, when } from "../format";
import { wei } from "../json";
import { type FeeConfig, openerBounty, roundNeeds, topUpNeeded } from "../reserve";
import { statusLabel, tilesIn } from "../rounds";
import type { ChainEvent, JobDetail } from "../types";

/** Where re-offering of a posted job stands: its rounds' details (those loaded), the family's
 * events and the chain's clock. */
export interface RoundsView {
  root: JobDetail;
  rounds: ReadonlyMap<number, JobDetail>;
  family: ChainEvent[];
  now: number;
}

/** The round bidding now, if any. */
export function biddingRound(v: RoundsView): JobDetail | null {
  const latest = v.root.latest ? v.rounds.get(v.root.latest) : undefined;
  return latest && latest.status === "Bidding" ? latest : null;
}

/** The tiles a next round would sell: those waiting among the unsold tiles, and those on sale in
 * a round still bidding (which come back if it does not sell them). */
export function tilesToFund(v: RoundsView): number {
  return tilesIn(v.root.unsold) + (biddingRound(v)?.tile_count ?? 0);
}

export function roundsInfo(v: RoundsView): Child[] {
  const { root } = v;
  const ended = ["Completed", "Cancelled", "Expired"].includes(root.status);
  const unsold = tilesIn(root.unsold);
  const left =
    root.rounds_left > 0
      ? `${root.rounds_left} of ${root.max_rounds}`
      : root.max_rounds > 0
        ? `none (of ${root.max_rounds}): re-offering is over`
        : "none: this job re-offers nothing";
  const fact = (label: string, value: Child, id: string) => [
    h("dt", {}, label),
    h("dd", { id: `rounds-${id}` }, value),
  ];
  return [
    h("h2", { id: "rounds-h" }, "Re-offer rounds"),
    h(
      "dl",
      { class: "facts" },
      fact("Rounds left", left, "left"),
      root.final_deadline ? fact("Final deadline", when(root.final_deadline), "deadline") : null,
      ended ? null : fact("Reserve", eth(root.reserve), "reserve"),
      ended
        ? null
        : fact("Next maximum price", `${eth(root.next_max_price_per_tile)} per tile`, "price"),
      fact(
        "Unsold tiles",
        unsold
          ? `${unsold}: ${root.unsold.map(([first, n]) => (n === 1 ? first : `${first}–${first + n - 1}`)).join(", ")}`
          : "none",
        "unsold",
      ),
    ),
    root.rounds.length
      ? h(
          "ol",
          { class: "round-list", "aria-label": "Rounds" },
          root.rounds.map((r) => {
            const detail = v.rounds.get(r.round_id);
            const status = detail ? statusLabel(detail, v.family, root.status, v.now) : r.status;
            return h(
              "li",
              { "data-round": r.round, "data-round-id": r.round_id },
              h("strong", {}, `Round ${r.round}`),
              ` (job ${r.round_id}): ${r.tiles} tile${r.tiles === 1 ? "" : "s"} at most ${eth(r.max_price_per_tile)} · `,
              h(
                "span",
                { class: `badge ${status.startsWith("N") ? "expired" : status.toLowerCase()}` },
                status,
              ),
              r.tiles_paid
                ? ` · ${eth(r.paid)} paid for ${r.tiles_paid} tile${r.tiles_paid === 1 ? "" : "s"}`
                : null,
            );
          }),
        )
      : null,
  ];
}

/** What the actions offer now. */
export interface ReofferState {
  view: RoundsView;
  /** Anyone: the latest round has settled, tiles are unsold, rounds and time are left. */
  canReoffer: boolean;
  /** The artist, while the job is bidding or active. */
  canRaise: boolean;
  /** The artist while rounds are left; anyone once the final deadline passed. */
  canEnd: boolean;
  /** What is being sent, while it is. */
  busy: string | null;
  config: FeeConfig | null;
}

export interface ReofferHandlers {
  reoffer(): void;
  raise(maxPricePerTile: bigint, value: bigint): void;
  end(): void;
}

/** The price the artist typed, in wei, or why it cannot be used. */
function typedPrice(input: HTMLInputElement, current: bigint): bigint | string {
  let price: bigint;
  try {
    price = parseEther(input.value.trim() as `${number}`);
  } catch {
    return "The new maximum price must be an amount of ETH like 0.002.";
  }
  if (price < current)
    return `The maximum price can only go up: it is ${eth(current)} per tile now.`;
  if (price >= 2n ** 80n) return "The new maximum price is too large.";
  return price;
}

/**
 * The re-offer actions, kept across redraws so that a price being typed stays: `update` rebuilds
 * the buttons only when what is offered changes, and otherwise refreshes their figures.
 */
export function reofferActions(on: ReofferHandlers): {
  el: HTMLElement;
  update: (s: ReofferState) => void;
  value: () => { price: bigint; value: bigint } | string;
} {
  const el = h("div", { class: "reoffer-actions", id: "reoffer-actions" });
  const price = h("input", {
    id: "new-max-price",
    name: "new_max_price",
    inputmode: "decimal",
    "aria-describedby": "new-max-price-hint top-up-need",
  });
  const need = h("p", { id: "top-up-need", "aria-live": "polite" });
  const bounty = h("p", { class: "muted", id: "reoffer-why" });
  const progress = h("p", { id: "reoffer-progress", role: "status", "aria-live": "polite" });
  let shown = "";
  let state: ReofferState | null = null;

  /** What a top-up adds at the typed price, or why it cannot be sent. */
  const value = (): { price: bigint; value: bigint } | string => {
    if (!state) return "Loading…";
    const { root } = state.view;
    const current = wei(root.next_max_price_per_tile);
    const p = typedPrice(price, current);
    if (typeof p === "string") return p;
    if (!state.config) return "Reading the market's fees from the chain…";
    const tiles = tilesToFund(state.view);
    const fee = wei(root.verify_fee_per_tile);
    return { price: p, value: topUpNeeded(tiles, p, fee, wei(root.reserve), state.config) };
  };

  const figures = () => {
    if (!state) return;
    const { root } = state.view;
    const tiles = tilesToFund(state.view);
    const reserve = wei(root.reserve);
    const v = value();
    if (typeof v === "string") {
      clear(need, v);
    } else if (tiles === 0) {
      clear(
        need,
        `The reserve holds ${eth(reserve)} and no tile is waiting for a round: raising the price adds `,
        h("span", { id: "top-up-value", "data-wei": "0" }, eth(0n)),
        " now; later rounds pay up to it.",
      );
    } else {
      const needed = roundNeeds(tiles, v.price, wei(root.verify_fee_per_tile), state.config!);
      clear(
        need,
        `The reserve holds ${eth(reserve)}. A round of the ${tiles} tile${tiles === 1 ? "" : "s"} ` +
          `not sold yet at ${eth(v.price)} needs ${eth(needed)} (their price, protocol and verifier ` +
          "fees, and the opener's bounty): raising it adds ",
        h("span", { id: "top-up-value", "data-wei": v.value.toString() }, eth(v.value)),
        ".",
      );
    }
    const unsold = tilesIn(root.unsold);
    clear(
      bounty,
      "Anyone may open the next round over the unsold tiles; the opener earns ",
      state.config
        ? eth(openerBounty(unsold, wei(root.verify_fee_per_tile), state.config))
        : "a bounty",
      " from the reserve.",
    );
    clear(progress, state.busy ?? "");
  };

  price.addEventListener("input", figures);

  const update = (s: ReofferState) => {
    const first = state === null;
    state = s;
    const signature = JSON.stringify([s.canReoffer, s.canRaise, s.canEnd, s.busy !== null]);
    if (first || !price.value) price.value = formatEther(wei(s.view.root.next_max_price_per_tile));
    if (signature !== shown) {
      shown = signature;
      const busy = s.busy !== null;
      clear(
        el,
        s.canReoffer
          ? h(
              "div",
              { class: "action" },
              h(
                "button",
                { type: "button", id: "reoffer-now", disabled: busy, onclick: () => on.reoffer() },
                "Re-offer the unsold tiles now",
              ),
              bounty,
            )
          : null,
        s.canRaise
          ? h(
              "form",
              {
                class: "action raise",
                id: "raise-price",
                novalidate: true,
                onsubmit: (e: Event) => {
                  e.preventDefault();
                  const v = value();
                  if (typeof v === "string") clear(need, v);
                  else on.raise(v.price, v.value);
                },
              },
              h("label", { for: "new-max-price" }, "New maximum price per tile (ETH)"),
              price,
              h(
                "small",
                { id: "new-max-price-hint" },
                "never lower than now; later rounds pay at most this per tile",
              ),
              need,
              h(
                "button",
                { type: "submit", id: "raise-max-price", disabled: busy },
                "Raise the maximum price",
              ),
            )
          : null,
        s.canEnd
          ? h(
              "div",
              { class: "action" },
              h(
                "button",
                {
                  type: "button",
                  id: "end-reoffering",
                  class: "danger",
                  disabled: busy,
                  "aria-describedby": "end-reoffering-why",
                  onclick: () => on.end(),
                },
                "End re-offering",
              ),
              h(
                "p",
                { class: "muted", id: "end-reoffering-why" },
                "No new round opens: tiles still unsold are not delivered, and the reserve comes " +
                  "back to you once the open rounds end.",
              ),
            )
          : null,
        s.canReoffer || s.canRaise || s.canEnd ? progress : null,
      );
    }
    figures();
  };

  return { el, update, value };
}
