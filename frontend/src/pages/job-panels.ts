// The job page's panels, each built from data alone: tiles, cost, bids, disputes and timeline
// (the frames and the film: `job-frames.ts`).
import { BID_LABELS, type Bid } from "../bids";
import {
  CHALLENGE_VOTE_LABELS,
  DISPUTE_LABELS,
  type Dispute,
  MEMBER_LABELS,
  memberPay,
  type PanelMember,
  votedForOutcome,
} from "../disputes";
import { type Child, h, notice } from "../dom";
import { cidLink, eth, short, txLink } from "../format";
import type { RoundCost } from "../reserve";
import { roundName, tileRange } from "../rounds";
import {
  type CauseTexts,
  familyDisputeKinds,
  givenBack,
  givenText,
  TILE_LABELS,
  type Tile,
  tileLabel,
  type TileState,
  tileStates,
} from "../tiles";
import { describe } from "../timeline";
import type { ChainEvent, JobLedger, PageConfig } from "../types";

/** How a job's tiles lie in its frames (from its manifest), when known. */
export interface Grid {
  frames: number[];
  columns: number;
  rows: number;
}

const CID_ARGS = ["manifest_cid", "results_cid", "evidence_cid", "reason_cid"];

function tileCell(t: Tile, causes: CauseTexts): HTMLElement {
  const label = tileLabel(t, causes);
  return h(
    "li",
    {
      class: `tile ${t.state}`,
      "data-state": t.state,
      "data-index": t.index,
      "data-round": t.round,
      "data-returns": t.returns.length,
      title: label,
    },
    h("span", { class: "visually-hidden" }, label),
    // The round that sold or offers it, when it is not the posted job's own sale.
    t.round > 0 ? h("span", { class: "round", "aria-hidden": "true" }, t.round) : null,
  );
}

function tileList(tiles: Tile[], columns: number, label: string, causes: CauseTexts): HTMLElement {
  return h(
    "ol",
    {
      class: "tile-grid",
      style: `grid-template-columns: repeat(${columns}, 1fr)`,
      "aria-label": label,
    },
    tiles.map((t) => tileCell(t, causes)),
  );
}

/** The seats whose workers gave their tiles back, each with why (in the server's words). */
function givenBackNote(events: ChainEvent[], causes: CauseTexts): HTMLElement | null {
  const given = givenBack(events);
  if (!given.length) return null;
  return h(
    "ul",
    { id: "given-back", class: "given-back", "aria-label": "Tiles given back" },
    given.map((g) =>
      h(
        "li",
        { "data-worker": g.worker, "data-cause": g.cause },
        `${tileRange(g.first, g.count)} given back by worker `,
        h("code", { class: "mono", title: g.worker }, short(g.worker)),
        g.round > 0 ? ` (${roundName(g.round)})` : "",
        ": ",
        h("strong", {}, givenText(g.cause, causes)),
      ),
    ),
  );
}

/** The tile grid of a posted job and all its rounds (`events`: the whole family's; `causes`: the
 * server's words for why seats were given back). */
export function tilesPanel(
  tileCount: number,
  events: ChainEvent[],
  grid: Grid | null,
  causes: CauseTexts = new Map(),
): Child[] {
  const tiles = tileStates(tileCount, events);
  const counts = new Map<TileState, number>();
  for (const t of tiles) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const byRound = new Map<number, number>();
  for (const t of tiles) if (t.round > 0) byRound.set(t.round, (byRound.get(t.round) ?? 0) + 1);
  const rounds = [...byRound.entries()]
    .sort(([a], [b]) => a - b)
    .map(([round, n]) => `${n} in ${roundName(round)}`);
  const returned = tiles.filter((t) => t.returns.length).length;
  const summary =
    [...counts.entries()]
      .map(([state, n]) => `${n} ${TILE_LABELS[state].toLowerCase()}`)
      .join(", ") +
    (returned
      ? ` · ${returned} went back to be sold again (${rounds.join(", ") || "none sold yet"})`
      : "");
  let body: HTMLElement[];
  if (grid && grid.columns * grid.rows * grid.frames.length === tileCount) {
    const perFrame = grid.columns * grid.rows;
    body = grid.frames.map((frame, i) =>
      h(
        "figure",
        { class: "tile-frame" },
        tileList(
          tiles.slice(i * perFrame, (i + 1) * perFrame),
          grid.columns,
          `Frame ${frame} tiles`,
          causes,
        ),
        h("figcaption", {}, `Frame ${frame}`),
      ),
    );
  } else {
    body = [tileList(tiles, Math.min(16, tileCount), "Tiles", causes)]; // manifest unknown: flat
  }
  return [
    h("h2", { id: "tiles-h" }, "Tiles"),
    h("p", { id: "tile-summary", "aria-live": "polite" }, summary),
    givenBackNote(events, causes),
    body,
    h(
      "ul",
      { class: "legend", "aria-label": "Legend" },
      [...counts.keys()].map((state) =>
        h("li", {}, h("span", { class: `swatch tile ${state}` }), TILE_LABELS[state]),
      ),
      byRound.size
        ? h(
            "li",
            {},
            h("span", { class: "swatch tile" }, h("span", { class: "round" }, "k")),
            "sold or on sale in round k",
          )
        : null,
    ),
  ];
}

/** The job's cost: its ledger (the rounds' money included, which the posted job holds), what each
 * round paid, and the reserve that funds the next rounds (null once the job has ended). */
export function moneyPanel(l: JobLedger, rounds: RoundCost[], reserve: string | null): Child[] {
  const row = (label: string, wei: string, id: string) => [
    h("dt", {}, label),
    h("dd", { id: `money-${id}` }, eth(wei)),
  ];
  const some = (wei: string | undefined) => wei !== undefined && wei !== "0";
  return [
    h("h2", { id: "money-h" }, "Cost"),
    h(
      "dl",
      { class: "facts" },
      row("Paid into escrow", l.deposit, "deposit"),
      some(l.top_ups) ? row("Topped up by you", l.top_ups, "top-ups") : null,
      row("Paid to workers", l.to_workers, "workers"),
      row("Verifier fees", l.to_verifiers, "verifiers"),
      row("Draw bounties", l.to_drawers, "drawers"),
      some(l.to_openers) ? row("Round openers' bounties", l.to_openers, "openers") : null,
      row("Protocol fee", l.protocol_fee, "fees"),
      l.to_panels !== "0" ? row("Dispute panels", l.to_panels, "panels") : null,
      l.to_challengers !== "0"
        ? row("Challengers of contradicted passes", l.to_challengers, "challengers")
        : null,
      l.panels_to_treasury !== "0"
        ? row("Silent panels' stakes, to the treasury", l.panels_to_treasury, "panels-treasury")
        : null,
      row("Refunded to you", l.refunded, "refunded"),
      l.forfeits !== "0" ? row("Forfeited collateral, to you", l.forfeits, "forfeits") : null,
      row("Still held", l.held, "held"),
      reserve !== null ? row("Reserve for new rounds", reserve, "reserve") : null,
    ),
    rounds.length > 1 ? roundCostTable(rounds) : null,
    l.balanced ? null : notice("error", "This job's books do not balance; see the audit page."),
    h(
      "p",
      { class: "muted" },
      "Workers and verifiers are paid when an accepted seat's contest window closes (or when you " +
        "release it early); until then their pay is still held. Re-offer rounds are paid from " +
        "the reserve, the escrow no seat is owed, which comes back to you when the job ends. " +
        "Refunds are credited to you in the market; withdraw them with the Withdraw button at the top.",
    ),
  ];
}

function roundCostTable(rounds: RoundCost[]): HTMLElement {
  const part = (label: string, wei: bigint, what: string) =>
    h("span", {}, `${label} `, h("span", { class: what }, eth(wei)));
  return h(
    "div",
    { class: "round-costs" },
    h("h3", { id: "round-costs-h" }, "Paid by round"),
    h(
      "ul",
      { id: "round-costs", "aria-labelledby": "round-costs-h" },
      rounds.map((r) =>
        h(
          "li",
          { "data-round": r.round, "data-round-id": r.roundId },
          h("strong", {}, r.round === 0 ? "First sale" : `Round ${r.round}`),
          h(
            "span",
            { class: "parts" },
            part("workers", r.workers, "workers"),
            part("verifiers", r.verifiers, "verifiers"),
            part("bounties", r.bounties, "bounties"),
            r.panels > 0n ? part("panels", r.panels, "panels") : null,
          ),
        ),
      ),
    ),
  );
}

function memberItem(d: Dispute, m: PanelMember): HTMLElement {
  const revealed = m.state === "fraud" || m.state === "honest";
  const outvoted = d.resolved && revealed && !votedForOutcome(d, m);
  return h(
    "li",
    { "data-member": m.address, "data-state": m.state },
    h("code", { class: "mono", title: m.address }, short(m.address)),
    h(
      "span",
      { class: `badge member ${m.state}` },
      d.kind === "challenge" && (m.state === "fraud" || m.state === "honest")
        ? CHALLENGE_VOTE_LABELS[m.state]
        : MEMBER_LABELS[m.state],
    ),
    d.pay && revealed ? h("span", {}, `earned ${eth(memberPay(d, m))}`) : null,
    outvoted || m.state === "silent"
      ? h(
          "span",
          { class: "bad" },
          `${outvoted ? "outvoted" : "silent"}: slashed ${eth(m.slashed)}`,
        )
      : null,
  );
}

/** Who the panel's rounding went to: the side the outcome favours. */
function beneficiaryRole(d: Dispute): string {
  if (d.kind === "challenge") return d.fraud ? "challenger" : "verifier";
  return d.pay !== null && d.pay.beneficiary.toLowerCase() === d.worker.toLowerCase()
    ? "worker"
    : "artist";
}

function disputeBlock(d: RoundDispute): HTMLElement {
  const kind =
    d.kind === "appeal"
      ? `Appeal by ${short(d.worker)} of a failed spot-check`
      : d.kind === "contest"
        ? `Contest of ${short(d.worker)}'s passed spot-check`
        : `Challenge by ${short(d.disputer)} of ${short(d.worker)}'s pass: does it contradict the verifier's own sealed evidence?`;
  const outcome =
    d.kind === "challenge"
      ? d.fraud
        ? "contradicted: the verifier is slashed, the tiles are checked again"
        : "not contradicted: the pass stands"
      : d.fraud
        ? "fraud"
        : "honest";
  const verdict = d.resolved
    ? `Verdict: ${outcome}`
    : d.drawn
      ? "Panel voting: votes are sealed first, then revealed"
      : "Waiting for the panel to be drawn";
  const pay = d.pay;
  return h(
    "div",
    {
      class: "dispute",
      "data-worker": d.worker,
      "data-kind": d.kind,
      title: DISPUTE_LABELS[d.kind],
    },
    h("h3", {}, d.round > 0 ? `Round ${d.round}: ${kind}` : kind),
    h("p", { class: "muted" }, `Bond ${eth(d.bond)} · ${verdict}`),
    d.members.length
      ? h(
          "ul",
          { class: "panel-members", "aria-label": "Panel members" },
          d.members.map((m) => memberItem(d, m)),
        )
      : null,
    pay
      ? h(
          "dl",
          { class: "facts panel-pay" },
          h("dt", {}, "Each member that revealed"),
          h("dd", {}, eth(pay.feeEach)),
          h("dt", {}, "Each that voted for the outcome, more"),
          h("dd", {}, eth(pay.bondsEach)),
          h("dt", {}, `Left to the ${beneficiaryRole(d)}`),
          h("dd", {}, eth(pay.remainder)),
          pay.toTreasury > 0n
            ? [
                h("dt", {}, "Forfeited stakes, to the treasury (nobody voted for the outcome)"),
                h("dd", {}, eth(pay.toTreasury)),
              ]
            : null,
        )
      : null,
  );
}

/** A dispute, with the round whose seat it concerns (0: the posted job's). */
export type RoundDispute = Dispute & { round: number };

export function disputesPanel(list: RoundDispute[]): Child[] {
  return [
    h("h2", { id: "disputes-h" }, "Disputes"),
    list.map(disputeBlock),
    h(
      "p",
      { class: "muted" },
      "The side that loses pays the panel: the disputer's bond, or up to a bond out of the " +
        "loser's slash. Members that stay silent or vote against the outcome lose up to a bond " +
        "of their stake to those that voted for it, or to the treasury if none did. Anyone but " +
        "the verifier may challenge a pass that contradicts the verifier's own sealed evidence: " +
        "upheld, the verifier's slash goes to the challenger and the tiles are checked again.",
    ),
  ];
}

function bidItem(b: Bid): HTMLElement {
  return h(
    "li",
    { "data-bidder": b.bidder, "data-state": b.state },
    h("code", { class: "mono", title: b.bidder }, short(b.bidder)),
    h("span", { class: `badge bid ${b.state}` }, BID_LABELS[b.state]),
    h("span", { class: "muted" }, `${b.tiles} tile${b.tiles === 1 ? "" : "s"} declared`),
    b.state === "forfeited"
      ? h("span", { class: "bad" }, `never revealed: ${eth(b.forfeited)} collateral to you`)
      : null,
  );
}

/** The sealed bids of the posted job and of each round that had any, by round. */
export function bidsPanel(groups: { round: number; bids: Bid[] }[]): Child[] {
  const shown = groups.filter((g) => g.bids.length);
  return [
    h("h2", { id: "bids-h" }, "Bids"),
    shown.map((g) => [
      shown.length > 1 || g.round > 0
        ? h("h3", {}, g.round === 0 ? "First sale" : `Round ${g.round}`)
        : null,
      h(
        "ul",
        {
          class: "bid-list",
          "data-round": g.round,
          "aria-label": g.round === 0 ? "Sealed bids" : `Sealed bids, round ${g.round}`,
        },
        g.bids.map(bidItem),
      ),
    ]),
    h(
      "p",
      { class: "muted" },
      "Each bid is sealed with its tile count in the open and locks that many tiles' collateral " +
        "at your maximum price. A bid never revealed forfeits its bond and, once the reveal " +
        "window is over, its collateral to you.",
    ),
  ];
}

/** Every event of the posted job and its rounds, in chain order; `rounds` numbers the rounds'
 * job ids, and a round's own events say which round they belong to. */
export function timelinePanel(
  config: PageConfig,
  events: ChainEvent[],
  rounds: ReadonlyMap<number, number> = new Map(),
  causes: CauseTexts = new Map(),
): Child[] {
  const kinds = familyDisputeKinds(events);
  const seat = (job: unknown, worker: unknown) => `${Number(job)}:${String(worker).toLowerCase()}`;
  const given = new Map(givenBack(events).map((g) => [seat(g.job, g.worker), g.cause]));
  const rows = events.map((e) => {
    const cids = CID_ARGS.filter((k) => typeof e.args[k] === "string" && e.args[k]).map((k) =>
      cidLink(config, e.args[k] as string),
    );
    const at = new Date(e.timestamp * 1000);
    const round = e.job_id === null ? 0 : (rounds.get(e.job_id) ?? 0);
    return h(
      "li",
      { "data-event": e.name, "data-round": round },
      h("time", { datetime: at.toISOString() }, at.toLocaleTimeString()),
      h(
        "span",
        { class: "what" },
        round > 0 ? h("span", { class: "badge round" }, `Round ${round}`) : null,
        round > 0 ? " " : null,
        describe(
          e,
          kinds.get(e),
          rounds,
          causes,
          e.name === "TilesReturned" ? given.get(seat(e.args.round_id, e.args.worker)) : undefined,
        ),
      ),
      h(
        "span",
        { class: "refs" },
        "tx ",
        txLink(config, e.tx_hash),
        cids.length ? [" · CID ", ...cids] : null,
      ),
    );
  });
  return [
    h("h2", { id: "timeline-h" }, "Timeline"),
    rows.length
      ? h("ol", { class: "timeline" }, rows)
      : h("p", { class: "muted" }, "No events yet."),
  ];
}
