// One job, live: its tile grid filling in from the chain's events (Server-Sent Events), the
// assembled frames with their downloads, the bids, the timeline, the money, cancel while bidding,
// taking the collateral of bids never revealed, claiming the seats whose workers missed the
// render deadline, and paying accepted seats at once.
import { api, ApiError } from "../api";
import { bids, forfeitable } from "../bids";
import { disputes } from "../disputes";
import { clear, h, notice, toast } from "../dom";
import { explain } from "../errors";
import { cidLink, eth, short, txLink, when } from "../format";
import { parseJson } from "../json";
import type { Ctx } from "../main";
import { acceptedSeats, tileStates } from "../tiles";
import type { ChainEvent, Frame, JobDetail, JobLedger, ManifestPublic } from "../types";
import {
  bidsPanel,
  disputesPanel,
  framesPanel,
  type Grid,
  moneyPanel,
  tilesPanel,
  timelinePanel,
} from "./job-panels";

// Besides the contract's events, the stream sends these.
const STREAM_EVENTS = ["assembled", "reorg", "end"];
// Events that change a seat or the render deadline: the job is read again after them.
const SEAT_EVENTS = new Set([
  "BidCommitted",
  "BidForfeited",
  "BidsSettled",
  "TilesAssigned",
  "ResultsCommitted",
  "WorkerTimedOut",
  "VerifierDrawMissed",
]);
// Set by the status a job event leads to, until the next read of the job.
const STATUS_AFTER: Record<string, string> = {
  BidsSettled: "Active",
  JobCompleted: "Completed",
  JobCancelled: "Cancelled",
};

export function jobPage(root: HTMLElement, ctx: Ctx, jobId: number): () => void {
  const { config, wallet } = ctx;
  let job: JobDetail | null = null;
  let grid: Grid | null = null;
  const events = new Map<string, ChainEvent>();
  let source: EventSource | null = null;
  let stopped = false;
  const timers = { frames: 0, retry: 0, money: 0, seats: 0, late: 0, reveals: 0, bids: 0 };
  // While accepted seats are being paid: what the page is doing, and the seats already paid
  // (their PaymentReleased may reach the stream after the receipt).
  let paying: string | null = null;
  const released = new Set<string>();
  // While the collateral of unrevealed bids is being taken, and the bids already taken (their
  // BidForfeited may reach the stream after the receipt).
  let forfeiting = false;
  const taken = new Set<string>();
  // How far the chain's clock is ahead of this browser's, in seconds: deadlines are block
  // timestamps, and a devnet's clock may have been moved on.
  let chainAhead = 0;

  const section = (id: string) => h("section", { class: "card", id, "aria-labelledby": `${id}-h` });
  const header = h("div", { class: "job-head" });
  const posted = h("div", { id: "posted" });
  const [tilesBox, framesBox, moneyBox, bidsBox, disputesBox, timelineBox] = [
    "tiles",
    "frames",
    "money",
    "bids",
    "disputes",
    "timeline",
  ].map(section);
  bidsBox.hidden = true; // until a bid is committed
  disputesBox.hidden = true; // until a seat is disputed
  clear(
    root,
    header,
    posted,
    h("div", { class: "job-grid" }, tilesBox, framesBox, moneyBox),
    bidsBox,
    disputesBox,
    timelineBox,
  );
  clear(header, h("h1", {}, `Job ${jobId}`), notice("info", "Loading…"));

  const justPosted = sessionStorage.getItem(`tilefarm.posted.${jobId}`);
  if (justPosted) {
    const { hash, deposit } = JSON.parse(justPosted) as { hash: string; deposit: string };
    clear(
      posted,
      notice(
        "ok",
        `Job ${jobId} posted and paid (${eth(deposit)}) in transaction `,
        txLink(config, hash),
        ".",
      ),
    );
  }

  const ordered = () =>
    [...events.values()].sort(
      (a, b) => a.block_number - b.block_number || a.log_index - b.log_index,
    );

  /** Seats still unrendered after the render deadline (anyone may claim them; the artist
   * gets the slash and, at the job's end, the seat's escrow). */
  const chainNow = () => Date.now() / 1000 + chainAhead;
  const syncClock = async () => {
    try {
      const latest = await wallet.publicClient.getBlock();
      chainAhead = Number(latest.timestamp) - Date.now() / 1000;
    } catch {
      // the node is out of reach: keep the last known offset
    }
  };

  const lateSeats = () =>
    job && job.render_deadline > 0 && chainNow() > job.render_deadline
      ? job.seats.filter((s) => s.state === "Assigned")
      : [];

  /** Sealed bids never revealed, once the reveal window is over: their collateral may be taken
   * (anyone may call forfeitBid; the slash goes to the artist). */
  const unrevealedBids = () =>
    job
      ? forfeitable(bids(ordered()), job.reveal_end, chainNow(), job.status).filter(
          (b) => !taken.has(b.bidder.toLowerCase()),
        )
      : [];

  /** The collateral a bid locked, as the server indexed it (unknown until it has). */
  const collateralOf = (bidder: string) =>
    job?.bids.find((b) => b.bidder.toLowerCase() === bidder.toLowerCase())?.collateral;

  /** Accepted seats whose pay is still held: the artist may pay them at once. */
  const payableSeats = () =>
    job
      ? acceptedSeats(tileStates(job.tile_count, ordered())).filter(
          (w) => !released.has(w.toLowerCase()),
        )
      : [];

  const renderHeader = () => {
    if (!job) return;
    const mine = wallet.address?.toLowerCase() === job.artist.toLowerCase();
    const late = mine ? lateSeats() : [];
    const payable = mine ? payableSeats() : [];
    const unrevealed = mine ? unrevealedBids() : [];
    clear(
      header,
      h(
        "h1",
        {},
        `Job ${jobId} `,
        h("span", { class: `badge ${job.status.toLowerCase()}`, id: "job-status" }, job.status),
      ),
      h(
        "p",
        { class: "muted" },
        `Posted ${when(job.posted_at)} by `,
        h("code", { class: "mono" }, short(job.artist)),
        mine ? " (you)" : "",
        " · manifest ",
        cidLink(config, job.manifest_cid),
      ),
      // Only during the bid window, by the chain's clock (the contract refuses it after).
      mine && job.status === "Bidding" && chainNow() <= job.bid_end
        ? h(
            "button",
            { type: "button", id: "cancel-job", class: "danger", onclick: () => void cancel() },
            "Cancel job and refund",
          )
        : null,
      unrevealed.length
        ? h(
            "div",
            { class: "late", id: "unrevealed-bids" },
            notice(
              "info",
              `${unrevealed.length === 1 ? "A sealed bid was" : `${unrevealed.length} sealed bids were`} ` +
                `never revealed (the reveal window closed ${when(job.reveal_end)}): `,
              ...unrevealed.map((b) => {
                const collateral = collateralOf(b.bidder);
                return h(
                  "code",
                  { class: "mono", "data-bidder": b.bidder },
                  `${short(b.bidder)} (${b.tiles} tiles${collateral ? `, ${eth(collateral)}` : ""}) `,
                );
              }),
              "Each locked collateral for its tiles at your maximum price; taking it slashes " +
                "that stake to you.",
            ),
            h(
              "button",
              {
                type: "button",
                id: "forfeit-bids",
                disabled: forfeiting,
                onclick: () => void takeForfeits(),
              },
              "Take forfeited collateral",
            ),
          )
        : null,
      late.length
        ? h(
            "div",
            { class: "late", id: "late-seats" },
            notice(
              "error",
              `${late.length === 1 ? "A worker" : `${late.length} workers`} missed the render ` +
                `deadline (${when(job.render_deadline)}) without delivering: `,
              ...late.map((s) => h("code", { class: "mono" }, `${short(s.worker)} `)),
              "Claiming slashes each to you and returns the seat's escrow when the job ends.",
            ),
            h(
              "button",
              { type: "button", id: "claim-late", class: "danger", onclick: () => void claim() },
              late.length === 1 ? "Claim the late seat" : `Claim ${late.length} late seats`,
            ),
          )
        : null,
      payable.length || paying
        ? h(
            "div",
            { class: "pay-now", id: "pay-now" },
            h(
              "button",
              {
                type: "button",
                id: "pay-accepted",
                disabled: paying !== null,
                "aria-describedby": "pay-now-why",
                onclick: () => void payNow(),
              },
              "Pay accepted tiles now",
            ),
            h(
              "p",
              { class: "muted", id: "pay-now-why" },
              "Pays their workers and verifiers at once instead of after the contest window: " +
                "you waive your right to contest them.",
            ),
            h("p", { id: "pay-progress", role: "status", "aria-live": "polite" }, paying ?? ""),
          )
        : null,
    );
  };

  /** Re-read the job (seats, render deadline) once the chain changed a seat, and show the late
   * seats the moment the deadline passes. */
  const refreshSeats = () => {
    window.clearTimeout(timers.seats);
    timers.seats = window.setTimeout(async () => {
      try {
        const fresh = await api<JobDetail>(`/api/jobs/${jobId}`);
        job = fresh;
      } catch {
        return; // the stream goes on; the next seat event tries again
      }
      watchDeadline();
      renderHeader();
      syncDeadline();
    }, 300);
  };

  /** Read the chain's clock again, then re-arm the deadline and redraw the header. */
  const syncDeadline = () =>
    void syncClock().then(() => {
      watchDeadline();
      renderHeader();
    });

  const watchDeadline = () => {
    window.clearTimeout(timers.late);
    window.clearTimeout(timers.reveals);
    if (!job) return;
    // Sealed bids still unrevealed become forfeitable when the reveal window closes.
    const sealed = bids(ordered()).some((b) => b.state === "sealed");
    const untilReveals = (job.reveal_end + 1 - chainNow()) * 1000;
    if (sealed && untilReveals > 0) timers.reveals = window.setTimeout(renderHeader, untilReveals);
    // The cancel button goes when the bid window closes.
    const untilBidsClose = (job.bid_end + 1 - chainNow()) * 1000;
    window.clearTimeout(timers.bids);
    if (job.status === "Bidding" && untilBidsClose > 0) {
      timers.bids = window.setTimeout(renderHeader, untilBidsClose);
    }
    if (!job.seats.some((s) => s.state === "Assigned") || !job.render_deadline) return;
    const wait = (job.render_deadline + 1 - chainNow()) * 1000;
    if (wait > 0) timers.late = window.setTimeout(renderHeader, wait);
  };

  const renderEvents = () => {
    if (!job) return;
    renderHeader();
    clear(tilesBox, tilesPanel(job.tile_count, ordered(), grid));
    const sealed = bids(ordered());
    bidsBox.hidden = sealed.length === 0;
    clear(bidsBox, sealed.length ? bidsPanel(sealed) : null);
    const disputed = disputes(ordered());
    disputesBox.hidden = disputed.length === 0;
    clear(disputesBox, disputed.length ? disputesPanel(disputed) : null);
    clear(timelineBox, timelinePanel(config, ordered()));
  };

  const renderMoney = async () => {
    try {
      clear(moneyBox, moneyPanel(await api<JobLedger>(`/api/ledger/${jobId}`)));
    } catch (err) {
      clear(moneyBox, h("h2", { id: "money-h" }, "Cost"), notice("info", explain(err)));
    }
  };

  /** Show the frames; true once every one is assembled. */
  const renderFrames = async (): Promise<boolean> => {
    try {
      const { frames } = await api<{ frames: Frame[] }>(`/api/jobs/${jobId}/frames`);
      clear(framesBox, framesPanel(config, jobId, frames));
      return frames.every((f) => f.status === "assembled");
    } catch (err) {
      const waiting = err instanceof ApiError && err.status === 404;
      clear(
        framesBox,
        h("h2", { id: "frames-h" }, "Frames"),
        h(
          "p",
          { class: "muted" },
          waiting ? "Each frame appears here once all its tiles are verified." : explain(err),
        ),
      );
      return false;
    }
  };

  // The stream ends with the job, which may be before the server has stored its frames.
  const pollFrames = () => {
    window.clearTimeout(timers.frames);
    void renderFrames().then((done) => {
      if (!done && !stopped) timers.frames = window.setTimeout(pollFrames, 2000);
    });
  };

  const onEvent = (e: ChainEvent) => {
    events.set(`${e.block_number}:${e.log_index}`, e);
    if (job && e.name in STATUS_AFTER) job.status = STATUS_AFTER[e.name];
    if (SEAT_EVENTS.has(e.name)) refreshSeats();
    renderEvents();
    window.clearTimeout(timers.money);
    timers.money = window.setTimeout(() => void renderMoney(), 500);
  };

  const onStreamEvent = (name: string, data: Record<string, unknown>) => {
    if (name === "assembled") {
      toast(`Frame ${data.frame} is assembled`);
      pollFrames();
    } else if (name === "reorg") {
      // The server re-sends everything from the first block dropped.
      const from = Number(data.from_block);
      for (const [key, e] of events) if (e.block_number >= from) events.delete(key);
      renderEvents();
    } else {
      source?.close();
      void load(false);
      ctx.refreshWallet(); // a refund may be waiting in the market
    }
  };

  const openStream = () => {
    const last = ordered().at(-1);
    const after = last ? `?after=${last.block_number}:${last.log_index}` : "";
    source = new EventSource(`/api/jobs/${jobId}/events/stream${after}`);
    const names = (config.market_abi ?? [])
      .filter((x) => x.type === "event")
      .map((x) => (x as { name: string }).name);
    for (const name of names) {
      source.addEventListener(name, (m) =>
        onEvent(parseJson((m as MessageEvent).data) as ChainEvent),
      );
    }
    for (const name of STREAM_EVENTS) {
      source.addEventListener(name, (m) =>
        onStreamEvent(name, parseJson((m as MessageEvent).data) as Record<string, unknown>),
      );
    }
  };

  const load = async (stream: boolean) => {
    try {
      job = await api<JobDetail>(`/api/jobs/${jobId}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && !stopped) {
        const waiting = "Waiting for the marketplace to index this job from the chain…";
        clear(header, h("h1", {}, `Job ${jobId}`), notice("info", waiting));
        timers.retry = window.setTimeout(() => void load(stream), 1000);
        return;
      }
      clear(header, h("h1", {}, `Job ${jobId}`), notice("error", explain(err)));
      return;
    }
    for (const e of job.events) events.set(`${e.block_number}:${e.log_index}`, e);
    if (!grid) {
      try {
        const { manifest } = await api<ManifestPublic>(`/api/manifests/${job.manifest_cid}`);
        grid = { frames: manifest.frames, ...manifest.tile_grid };
      } catch {
        grid = null; // posted with a manifest stored elsewhere: a flat grid
      }
    }
    watchDeadline();
    syncDeadline();
    renderEvents();
    void renderMoney();
    pollFrames();
    if (stream && !stopped) openStream();
  };

  const cancel = async () => {
    const button = document.getElementById("cancel-job") as HTMLButtonElement | null;
    if (button) button.disabled = true;
    try {
      await ctx.market().cancelJob(jobId);
      toast(`Job ${jobId} cancelled; the escrow is credited back to you`);
    } catch (err) {
      clear(posted, notice("error", explain(err)));
      if (button) button.disabled = false;
    }
  };

  const claim = async () => {
    const button = document.getElementById("claim-late") as HTMLButtonElement | null;
    if (button) button.disabled = true;
    try {
      for (const seat of lateSeats())
        await ctx.market().claimLate(jobId, seat.worker as `0x${string}`);
      toast("Late seats claimed; the slashed stake is credited to you");
    } catch (err) {
      clear(posted, notice("error", explain(err)));
      if (button) button.disabled = false;
    }
  };

  /** One `forfeitBid` per bid never revealed, each signed by the wallet and mined in turn. */
  const takeForfeits = async () => {
    forfeiting = true;
    renderHeader();
    try {
      for (const bid of unrevealedBids()) {
        await ctx.market().forfeitBid(jobId, bid.bidder as `0x${string}`);
        taken.add(bid.bidder.toLowerCase());
      }
      toast("Forfeited collateral taken; the slashed stake is credited to you");
    } catch (err) {
      clear(posted, notice("error", explain(err)));
    }
    forfeiting = false;
    renderHeader();
  };

  /** One `acceptResults` per accepted seat, each signed by the wallet and mined in turn. */
  const payNow = async () => {
    const seats = payableSeats();
    let done = 0;
    const progress = (text: string | null) => {
      paying = text;
      renderHeader();
    };
    try {
      for (const worker of seats) {
        progress(
          `Paying seat ${done + 1} of ${seats.length} (worker ${short(worker)}): ` +
            (wallet.kind === "injected" ? "confirm it in your wallet…" : "sending…"),
        );
        await ctx.market().acceptResults(jobId, worker as `0x${string}`);
        released.add(worker.toLowerCase());
        done += 1;
      }
      toast("Accepted tiles paid: their workers and verifiers are credited");
    } catch (err) {
      const before = done ? `${done} of ${seats.length} seats paid; the next was not. ` : "";
      clear(posted, notice("error", before + explain(err)));
    }
    progress(null);
  };

  void load(true);
  return () => {
    stopped = true;
    source?.close();
    for (const timer of Object.values(timers)) window.clearTimeout(timer);
  };
}
