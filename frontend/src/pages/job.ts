// One job, live, with all its re-offer rounds: the tile grid filling in from the chain's events
// (Server-Sent Events, one stream for the posted job and one for each round still open), the
// frames (a preview of the revealed tiles until verified) with their downloads and the film, the
// bids, the timeline, the money, cancel while bidding, taking the collateral of bids never
// revealed, claiming the seats whose workers missed the render deadline, paying accepted seats at
// once, and re-offering: open a round over the unsold tiles, raise the maximum price, end
// re-offering.
import { api, ApiError } from "../api";
import type { Ctx } from "../app";
import { bids, forfeitable } from "../bids";
import { disputes } from "../disputes";
import { clear, h, notice, toast } from "../dom";
import { explain } from "../errors";
import { cidLink, eth, short, txLink, when } from "../format";
import { jobMarketAbi } from "../generated/abi";
import { type Requirements, requirementsText } from "../hardware";
import { parseJson } from "../json";
import { type FeeConfig, roundCosts } from "../reserve";
import { byJob, roundNumbers, statusLabel } from "../rounds";
import { acceptedSeats, type SeatRef, tileStates } from "../tiles";
import type { ChainEvent, JobDetail, JobLedgerDetail, ManifestPublic } from "../types";
import { followFrames } from "./job-frames";
import {
  bidsPanel,
  disputesPanel,
  type Grid,
  moneyPanel,
  tilesPanel,
  timelinePanel,
} from "./job-panels";
import { biddingRound, reofferActions, roundsInfo, type RoundsView } from "./job-rounds";

// A job's stream sends each of the market's events by its name, and besides them these.
const MARKET_EVENTS = jobMarketAbi.flatMap((x) => (x.type === "event" ? [x.name] : []));
const STREAM_EVENTS = ["assembled", "reorg", "end"];
// Events that change a seat, a deadline, the reserve or the rounds: the jobs are read again.
const SEAT_EVENTS = new Set([
  "BidCommitted",
  "BidForfeited",
  "BidsSettled",
  "TilesAssigned",
  "ResultsCommitted",
  "WorkerTimedOut",
  "SeatAbandoned",
  "VerifierDrawMissed",
  "TilesReturned",
  "RoundOpened",
  "JobToppedUp",
  "ReofferingEnded",
  "PaymentReleased",
  "JobCompleted",
]);
const TERMINAL = new Set(["Completed", "Cancelled", "Expired"]);

export function jobPage(root: HTMLElement, ctx: Ctx, jobId: number): () => void {
  const { config, wallet } = ctx;
  /** The posted job, and each of its rounds as read (by job id). */
  let job: JobDetail | null = null;
  const rounds = new Map<number, JobDetail>();
  let grid: Grid | null = null;
  /** What the job requires of its workers' hardware (from its manifest, once read). */
  let requirements: Requirements | null = null;
  const events = new Map<string, ChainEvent>();
  const sources = new Map<number, EventSource>();
  let stopped = false;
  const timers = { retry: 0, money: 0, seats: 0, deadline: 0 };
  // While accepted seats are being paid: what the page is doing, and the seats already paid
  // (their PaymentReleased may reach the stream after the receipt).
  let paying: string | null = null;
  const released = new Set<string>();
  // While the collateral of unrevealed bids is being taken, and the bids already taken (their
  // BidForfeited may reach the stream after the receipt).
  let forfeiting = false;
  const taken = new Set<string>();
  // While a re-offer action is being sent: what the page is doing.
  let reoffering: string | null = null;
  let fees: FeeConfig | null = null;
  // How far the chain's clock is ahead of this browser's, in seconds: deadlines are block
  // timestamps, and a devnet's clock may have been moved on.
  let chainAhead = 0;

  const section = (id: string) => h("section", { class: "card", id, "aria-labelledby": `${id}-h` });
  const header = h("div", { class: "job-head" });
  const posted = h("div", { id: "posted" });
  const [tilesBox, framesBox, moneyBox, filmBox, roundsBox, bidsBox, disputesBox, timelineBox] = [
    "tiles",
    "frames",
    "money",
    "film",
    "rounds",
    "bids",
    "disputes",
    "timeline",
  ].map(section);
  const roundsInfoBox = h("div", {});
  roundsBox.hidden = true; // until the job re-offers tiles or may
  bidsBox.hidden = true; // until a bid is committed
  disputesBox.hidden = true; // until a seat is disputed
  clear(
    root,
    header,
    posted,
    h("div", { class: "job-grid" }, tilesBox, framesBox, moneyBox),
    filmBox,
    roundsBox,
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
  /** The posted job and each round read so far. */
  const family = (): JobDetail[] => (job ? [job, ...rounds.values()] : []);
  const numbers = () => roundNumbers(ordered(), job?.rounds ?? []);
  const seatKey = (jobOf: number, worker: string) => `${jobOf}:${worker.toLowerCase()}`;
  /** The server's words for why seats were given back, by cause (`SeatPublic.cause_text`). */
  const causes = () =>
    new Map(
      family().flatMap((d) =>
        d.seats.flatMap((s) =>
          s.cause !== null && s.cause_text !== null ? [[s.cause, s.cause_text] as const] : [],
        ),
      ),
    );

  const chainNow = () => Date.now() / 1000 + chainAhead;
  const syncClock = async () => {
    try {
      const latest = await wallet.publicClient.getBlock();
      chainAhead = Number(latest.timestamp) - Date.now() / 1000;
    } catch {
      // the node is out of reach: keep the last known offset
    }
  };

  /** Seats still unrendered after their round's render deadline (anyone may claim them; the
   * worker's slash and the seat's escrow go to the reserve, and its tiles back on sale). */
  const lateSeats = (): SeatRef[] =>
    family().flatMap((d) =>
      d.render_deadline > 0 && chainNow() > d.render_deadline
        ? d.seats
            .filter((s) => s.state === "Assigned")
            .map((s) => ({ job: d.job_id, worker: s.worker }))
        : [],
    );

  /** Sealed bids never revealed, once their reveal window is over: their collateral may be taken
   * (anyone may call forfeitBid; the slash goes to the artist). */
  const unrevealedBids = () => {
    const perJob = byJob(ordered());
    return family().flatMap((d) =>
      forfeitable(bids(perJob.get(d.job_id) ?? []), d.reveal_end, chainNow(), d.status)
        .filter((b) => !taken.has(seatKey(d.job_id, b.bidder)))
        .map((b) => ({ ...b, job: d.job_id })),
    );
  };

  /** The collateral a bid locked, as the server indexed it (unknown until it has). */
  const collateralOf = (jobOf: number, bidder: string) =>
    (jobOf === job?.job_id ? job : rounds.get(jobOf))?.bids.find(
      (b) => b.bidder.toLowerCase() === bidder.toLowerCase(),
    )?.collateral;

  /** Accepted seats whose pay is still held: the artist may pay them at once. */
  const payableSeats = () =>
    job
      ? acceptedSeats(tileStates(job.tile_count, ordered())).filter(
          (s) => !released.has(seatKey(s.job, s.worker)),
        )
      : [];

  const roundsView = (): RoundsView | null =>
    job ? { root: job, rounds, family: ordered(), now: chainNow() } : null;

  const actions = reofferActions({
    reoffer: () => void reoffer(),
    raise: (price, value) => void raise(price, value),
    end: () => void endReoffering(),
  });
  const reofferError = h("div", { id: "reoffer-error" });
  clear(roundsBox, roundsInfoBox, actions.el, reofferError);

  const renderRounds = () => {
    const v = roundsView();
    if (!job || !v) return;
    const returned = ordered().some((e) => e.name === "TilesReturned");
    roundsBox.hidden = job.max_rounds === 0 && job.rounds.length === 0 && !returned;
    clear(roundsInfoBox, roundsInfo(v));
    const mine = wallet.address?.toLowerCase() === job.artist.toLowerCase();
    const active = job.status === "Active";
    const open = active && job.rounds_left > 0;
    const canRaise = mine && (job.status === "Bidding" || open);
    if (canRaise && !fees) void loadFees();
    actions.update({
      view: v,
      canReoffer:
        open &&
        wallet.kind !== "none" &&
        job.unsold.length > 0 &&
        chainNow() <= job.final_deadline &&
        biddingRound(v) === null,
      canRaise,
      canEnd: open && (mine || chainNow() > job.final_deadline),
      busy: reoffering,
      config: fees,
    });
  };

  const loadFees = async () => {
    try {
      fees = await ctx.market().feeConfig();
      renderRounds();
    } catch {
      // no market or no node: the top-up waits; the figures say so
    }
  };

  const renderHeader = () => {
    if (!job) return;
    const mine = wallet.address?.toLowerCase() === job.artist.toLowerCase();
    const late = mine ? lateSeats() : [];
    const payable = mine ? payableSeats() : [];
    const unrevealed = mine ? unrevealedBids() : [];
    const status = statusLabel(job, ordered(), job.status, chainNow());
    const tone = status === job.status ? job.status.toLowerCase() : "expired";
    const latest = job.rounds.at(-1);
    clear(
      header,
      h(
        "h1",
        {},
        `Job ${jobId} `,
        h("span", { class: `badge ${tone}`, id: "job-status", "data-status": job.status }, status),
        latest && !TERMINAL.has(job.status)
          ? h("span", { class: "badge round", id: "job-round" }, ` round ${latest.round}`)
          : null,
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
      requirements
        ? h(
            "p",
            { class: "muted", id: "job-requirements" },
            h("strong", {}, "Hardware: "),
            requirementsText(requirements),
          )
        : null,
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
                "never revealed before the reveal window closed: ",
              ...unrevealed.map((b) => {
                const collateral = collateralOf(b.job, b.bidder);
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
                "deadline without delivering: ",
              ...late.map((s) => h("code", { class: "mono" }, `${short(s.worker)} `)),
              "Claiming slashes each and puts its tiles back on the market" +
                (job.max_rounds > 0 ? " for the next round." : "; their escrow comes back to you."),
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
    renderRounds();
  };

  /** Read the posted job and its open rounds again once the chain changed a seat, a deadline or
   * the reserve, and show what that makes possible. */
  const refreshJobs = () => {
    window.clearTimeout(timers.seats);
    timers.seats = window.setTimeout(async () => {
      try {
        await readFamily();
      } catch {
        return; // the streams go on; the next seat event tries again
      }
      renderEvents();
      syncDeadline();
    }, 300);
  };

  /** Read the posted job, then each round not read yet or still open, and follow new rounds. */
  const readFamily = async () => {
    const fresh = await api<JobDetail>(`/api/jobs/${jobId}`);
    job = fresh;
    const due = fresh.rounds.filter((r) => {
      const known = rounds.get(r.round_id);
      return !known || !TERMINAL.has(known.status) || !TERMINAL.has(r.status);
    });
    const read = await Promise.all(due.map((r) => api<JobDetail>(`/api/jobs/${r.round_id}`)));
    for (const d of read) {
      rounds.set(d.job_id, d);
      for (const e of d.events) events.set(`${e.block_number}:${e.log_index}`, e);
      if (!TERMINAL.has(d.status)) follow(d.job_id);
    }
  };

  /** Read the chain's clock again, then re-arm the deadlines and redraw the header. */
  const syncDeadline = () =>
    void syncClock().then(() => {
      watchDeadlines();
      renderHeader();
    });

  /** Redraw when the next deadline passes that changes what the page offers: a bid window
   * (cancel; no bids), a reveal window with sealed bids, a render deadline with seats unrendered,
   * the final deadline (anyone may end re-offering). */
  const watchDeadlines = () => {
    window.clearTimeout(timers.deadline);
    if (!job) return;
    const perJob = byJob(ordered());
    const times: number[] = [];
    for (const d of family()) {
      if (d.status === "Bidding") times.push(d.bid_end);
      if (bids(perJob.get(d.job_id) ?? []).some((b) => b.state === "sealed"))
        times.push(d.reveal_end);
      if (d.render_deadline && d.seats.some((s) => s.state === "Assigned"))
        times.push(d.render_deadline);
    }
    if (job.final_deadline && job.rounds_left > 0) times.push(job.final_deadline);
    const next = Math.min(...times.filter((t) => t + 1 > chainNow()));
    if (Number.isFinite(next)) {
      const wait = Math.min((next + 1 - chainNow()) * 1000, 2 ** 31 - 1);
      timers.deadline = window.setTimeout(() => {
        renderHeader();
        watchDeadlines();
      }, wait);
    }
  };

  const renderEvents = () => {
    if (!job) return;
    renderHeader();
    const all = ordered();
    const numbered = numbers();
    const said = causes();
    clear(tilesBox, tilesPanel(job.tile_count, all, grid, said));
    const perJob = byJob(all);
    const jobIds = [job.job_id, ...[...rounds.keys()].sort((a, b) => a - b)];
    const groups = jobIds.map((id) => ({
      round: numbered.get(id) ?? 0,
      bids: bids(perJob.get(id) ?? []),
    }));
    const anyBids = groups.some((g) => g.bids.length);
    bidsBox.hidden = !anyBids;
    clear(bidsBox, anyBids ? bidsPanel(groups) : null);
    const posted = all.find((e) => e.name === "JobPosted");
    const disputed = jobIds.flatMap((id) => {
      const own = perJob.get(id) ?? [];
      const withArtist = posted && !own.includes(posted) ? [posted, ...own] : own;
      return disputes(withArtist).map((d) => ({ ...d, round: numbered.get(id) ?? 0 }));
    });
    disputesBox.hidden = disputed.length === 0;
    clear(disputesBox, disputed.length ? disputesPanel(disputed) : null);
    clear(timelineBox, timelinePanel(config, all, numbered, said));
  };

  const renderMoney = async () => {
    try {
      const ledger = await api<JobLedgerDetail>(`/api/ledger/${jobId}`);
      const costs = roundCosts(ledger.entries ?? [], numbers());
      const reserve = job && !TERMINAL.has(job.status) && job.max_rounds > 0 ? job.reserve : null;
      clear(moneyBox, moneyPanel(ledger, costs, reserve));
    } catch (err) {
      clear(moneyBox, h("h2", { id: "money-h" }, "Cost"), notice("info", explain(err)));
    }
  };

  // The frames (previews of revealed tiles until verified) and the film of several frames.
  const frames = followFrames(config, jobId, framesBox, filmBox);

  const onEvent = (e: ChainEvent) => {
    events.set(`${e.block_number}:${e.log_index}`, e);
    if (job && e.job_id === job.job_id && e.name === "JobCompleted") job.status = "Completed";
    if (job && e.job_id === job.job_id && e.name === "JobCancelled") job.status = "Cancelled";
    if (SEAT_EVENTS.has(e.name)) refreshJobs();
    if (e.name === "ResultsRevealed") frames.refresh(); // a preview of the revealed tiles
    renderEvents();
    window.clearTimeout(timers.money);
    timers.money = window.setTimeout(() => void renderMoney(), 500);
  };

  const onStreamEvent = (jobOf: number, name: string, data: Record<string, unknown>) => {
    if (name === "assembled") {
      toast(`Frame ${data.frame} is assembled`);
      frames.refresh();
    } else if (name === "reorg") {
      // The server re-sends everything from the first block dropped.
      const from = Number(data.from_block);
      for (const [key, e] of events) if (e.block_number >= from) events.delete(key);
      renderEvents();
    } else {
      sources.get(jobOf)?.close();
      sources.delete(jobOf);
      if (jobOf === jobId) {
        void load(false);
        ctx.refreshWallet(); // a refund may be waiting in the market
      } else {
        refreshJobs();
      }
    }
  };

  /** Follow one job's stream (the posted job's, or a round's), from its last event known. */
  const follow = (jobOf: number) => {
    if (stopped || sources.has(jobOf)) return;
    const last = ordered()
      .filter((e) => e.job_id === jobOf)
      .at(-1);
    const after = last ? `?after=${last.block_number}:${last.log_index}` : "";
    const source = new EventSource(`/api/jobs/${jobOf}/events/stream${after}`);
    sources.set(jobOf, source);
    for (const name of MARKET_EVENTS) {
      source.addEventListener(name, (m) =>
        onEvent(parseJson((m as MessageEvent).data) as ChainEvent),
      );
    }
    for (const name of STREAM_EVENTS) {
      source.addEventListener(name, (m) =>
        onStreamEvent(jobOf, name, parseJson((m as MessageEvent).data) as Record<string, unknown>),
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
    if (job.root !== 0) {
      // A round is shown with its posted job, which holds its tiles, money and other rounds.
      toast(`Job ${jobId} is round ${job.round} of job ${job.root}`);
      ctx.navigate(`#/jobs/${job.root}`);
      return;
    }
    for (const e of job.events) events.set(`${e.block_number}:${e.log_index}`, e);
    try {
      await readFamily();
    } catch (err) {
      clear(posted, notice("error", explain(err)));
    }
    if (!grid && job) {
      try {
        const { manifest } = await api<ManifestPublic>(`/api/manifests/${job.manifest_cid}`);
        grid = { frames: manifest.frames, ...manifest.tile_grid };
        requirements = manifest.requirements;
      } catch {
        grid = null; // posted with a manifest stored elsewhere: a flat grid
      }
    }
    syncDeadline();
    renderEvents();
    void renderMoney();
    frames.refresh();
    if (stream) follow(jobId);
  };

  /** An earlier refusal no longer applies once an action went through. */
  const clearError = () => {
    if (posted.querySelector("[role=alert]")) clear(posted);
  };

  /** Run one chain action, and say in words why the chain or the wallet refused it. */
  const attempt = async (what: () => Promise<void>, button: string | null) => {
    const el = button ? (document.getElementById(button) as HTMLButtonElement | null) : null;
    if (el) el.disabled = true;
    try {
      await what();
      clearError();
    } catch (err) {
      clear(posted, notice("error", explain(err)));
      if (el) el.disabled = false;
    }
  };

  const cancel = () =>
    attempt(async () => {
      await ctx.market().cancelJob(jobId);
      toast(`Job ${jobId} cancelled; the escrow is credited back to you`);
    }, "cancel-job");

  const claim = () =>
    attempt(async () => {
      for (const seat of lateSeats())
        await ctx.market().claimLate(seat.job, seat.worker as `0x${string}`);
      toast("Late seats claimed: their tiles go back on the market");
      refreshJobs();
    }, "claim-late");

  /** One re-offer action, with its progress shown in the rounds panel. */
  const reofferStep = async (doing: string, what: () => Promise<void>) => {
    reoffering = `${doing}${wallet.kind === "injected" ? ": confirm it in your wallet…" : "…"}`;
    clear(reofferError);
    renderRounds();
    try {
      await what();
    } catch (err) {
      clear(reofferError, notice("error", explain(err)));
    }
    reoffering = null;
    renderRounds();
    refreshJobs();
  };

  const reoffer = () =>
    reofferStep("Opening a round over the unsold tiles", async () => {
      await ctx.market().reoffer(jobId);
      toast("A new round is open: the unsold tiles are on sale again");
    });

  const raise = (price: bigint, value: bigint) =>
    reofferStep(`Raising the maximum price to ${eth(price)} and adding ${eth(value)}`, async () => {
      await ctx.market().topUp(jobId, price, value);
      toast(`Later rounds pay up to ${eth(price)} per tile`);
      ctx.refreshWallet();
    });

  const endReoffering = () =>
    reofferStep("Ending re-offering", async () => {
      await ctx.market().endReoffering(jobId);
      toast("Re-offering ended: the job completes once its open rounds end");
    });

  /** One `forfeitBid` per bid never revealed, each signed by the wallet and mined in turn. */
  const takeForfeits = async () => {
    forfeiting = true;
    renderHeader();
    try {
      for (const bid of unrevealedBids()) {
        await ctx.market().forfeitBid(bid.job, bid.bidder as `0x${string}`);
        taken.add(seatKey(bid.job, bid.bidder));
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
      for (const seat of seats) {
        progress(
          `Paying seat ${done + 1} of ${seats.length} (worker ${short(seat.worker)}): ` +
            (wallet.kind === "injected" ? "confirm it in your wallet…" : "sending…"),
        );
        await ctx.market().acceptResults(seat.job, seat.worker as `0x${string}`);
        released.add(seatKey(seat.job, seat.worker));
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
    for (const source of sources.values()) source.close();
    for (const timer of Object.values(timers)) window.clearTimeout(timer);
    frames.stop();
  };
}
