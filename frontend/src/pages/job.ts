// One job, live: its tile grid filling in from the chain's events (Server-Sent Events), the
// assembled frames with their downloads, the timeline, the money, and cancel while bidding.
import { api, ApiError } from "../api";
import { clear, h, notice, toast } from "../dom";
import { explain } from "../errors";
import { cidLink, eth, short, txLink, when } from "../format";
import { parseJson } from "../json";
import type { Ctx } from "../main";
import { TILE_LABELS, type Tile, type TileState, tileStates } from "../tiles";
import type { ChainEvent, Frame, JobDetail, JobLedger, ManifestPublic } from "../types";

const EXTRA_STREAM_EVENTS = ["assembled", "reorg", "end"];

function describe(e: ChainEvent): string {
  const a = e.args;
  const who = (x: unknown) => (typeof x === "string" ? short(x) : "?");
  switch (e.name) {
    case "JobPosted":
      return `Posted by ${who(a.artist)}, ${eth(a.deposit)} in escrow`;
    case "BidCommitted":
      return `Sealed bid from ${who(a.bidder)}`;
    case "BidRevealed":
      return `${who(a.bidder)} revealed ${eth(a.price_per_tile)} per tile for ${a.tile_count} tiles`;
    case "BidOutbid":
      return `${who(a.bidder)} was outbid`;
    case "BidsSettled":
      return `Bidding settled: ${a.assigned_tiles} tiles to ${a.winners} worker(s), ${eth(a.artist_refund)} back to you`;
    case "TilesAssigned":
      return `Tiles ${a.first_tile}–${Number(a.first_tile) + Number(a.tile_count) - 1} to ${who(a.worker)} at ${eth(a.price_per_tile)} each`;
    case "ResultsCommitted":
      return `${who(a.worker)} committed its rendered tiles`;
    case "VerifierDrawn":
      return `${who(a.verifier)} drawn to spot-check ${who(a.worker)}`;
    case "ResultsAttested":
      return `${who(a.verifier)} ${a.passed ? "verified" : "FAILED"} ${who(a.worker)}'s tiles`;
    case "ResultsAccepted":
      return `${who(a.worker)} paid ${eth(a.payment)}; verifier fee ${eth(a.verifier_fee)}`;
    case "ResultsRejected":
      return `${who(a.worker)}'s tiles rejected, ${eth(a.slashed)} slashed`;
    case "WorkerTimedOut":
      return `${who(a.worker)} missed the deadline, ${eth(a.slashed)} slashed`;
    case "JobCompleted":
      return `Completed: ${eth(a.artist_refund)} back to you, protocol fee ${eth(a.protocol_fee)}`;
    case "JobCancelled":
      return `Cancelled: ${eth(a.refund)} back to you`;
    case "BondReclaimed":
      return `${who(a.bidder)} took back its bid bond`;
    default:
      return e.name.replace(/([a-z])([A-Z])/g, "$1 $2");
  }
}

const CID_ARGS = ["manifest_cid", "results_cid", "evidence_cid", "reason_cid"];

export function jobPage(root: HTMLElement, ctx: Ctx, jobId: number): () => void {
  const { config, wallet } = ctx;
  let job: JobDetail | null = null;
  let grid: { frames: number[]; columns: number; rows: number } | null = null;
  const events = new Map<string, ChainEvent>();
  let source: EventSource | null = null;
  let stopped = false;
  let framesTimer = 0;
  let retryTimer = 0;

  const header = h("div", { class: "job-head" });
  const posted = h("div", { id: "posted" });
  const tilesBox = h("section", { class: "card", id: "tiles", "aria-labelledby": "tiles-h" });
  const framesBox = h("section", { class: "card", id: "frames", "aria-labelledby": "frames-h" });
  const moneyBox = h("section", { class: "card", id: "money", "aria-labelledby": "money-h" });
  const timelineBox = h("section", { class: "card", id: "timeline", "aria-labelledby": "timeline-h" });
  clear(root, header, posted, h("div", { class: "job-grid" }, tilesBox, framesBox, moneyBox), timelineBox);
  clear(header, h("h1", {}, `Job ${jobId}`), notice("info", "Loading…"));

  const justPosted = sessionStorage.getItem(`tilefarm.posted.${jobId}`);
  if (justPosted) {
    const { hash, deposit } = JSON.parse(justPosted) as { hash: string; deposit: string };
    clear(posted, notice("ok", `Job ${jobId} posted and paid (${eth(deposit)}) in transaction `, txLink(config, hash), "."));
  }

  const ordered = () =>
    [...events.values()].sort((a, b) => a.block_number - b.block_number || a.log_index - b.log_index);

  const renderHeader = () => {
    if (!job) return;
    const mine = wallet.address?.toLowerCase() === job.artist.toLowerCase();
    const cancel =
      mine && job.status === "Bidding"
        ? h("button", { type: "button", id: "cancel-job", class: "danger", onclick: () => void cancelJob() }, "Cancel job and refund")
        : null;
    clear(
      header,
      h("h1", {}, `Job ${jobId} `, h("span", { class: `badge ${job.status.toLowerCase()}`, id: "job-status" }, job.status)),
      h("p", { class: "muted" }, `Posted ${when(job.posted_at)} by `, h("code", { class: "mono" }, short(job.artist)), mine ? " (you)" : "", " · manifest ", cidLink(config, job.manifest_cid)),
      cancel,
    );
  };

  const renderTiles = () => {
    if (!job) return;
    const tiles = tileStates(job.tile_count, ordered());
    const counts = new Map<TileState, number>();
    for (const t of tiles) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    const summary = [...counts.entries()].map(([s, n]) => `${n} ${TILE_LABELS[s].toLowerCase()}`).join(", ");
    const cell = (t: Tile) =>
      h("li", {
        class: `tile ${t.state}`,
        "data-state": t.state,
        "data-index": t.index,
        title: `Tile ${t.index}: ${TILE_LABELS[t.state]}${t.worker ? ` (worker ${t.worker})` : ""}`,
      }, h("span", { class: "visually-hidden" }, `Tile ${t.index}: ${TILE_LABELS[t.state]}`));
    let body: HTMLElement[];
    if (grid && grid.columns * grid.rows * grid.frames.length === job.tile_count) {
      const perFrame = grid.columns * grid.rows;
      body = grid.frames.map((frame, fi) =>
        h("figure", { class: "tile-frame" },
          h("ol", { class: "tile-grid", style: `grid-template-columns: repeat(${grid!.columns}, 1fr)`, "aria-label": `Frame ${frame} tiles` },
            tiles.slice(fi * perFrame, (fi + 1) * perFrame).map(cell)),
          h("figcaption", {}, `Frame ${frame}`)),
      );
    } else {
      body = [h("ol", { class: "tile-grid", style: `grid-template-columns: repeat(${Math.min(16, job.tile_count)}, 1fr)` }, tiles.map(cell))];
    }
    const used = [...counts.keys()];
    clear(
      tilesBox,
      h("h2", { id: "tiles-h" }, "Tiles"),
      h("p", { id: "tile-summary", "aria-live": "polite" }, summary),
      body,
      h("ul", { class: "legend", "aria-label": "Legend" }, used.map((s) => h("li", {}, h("span", { class: `swatch tile ${s}` }), TILE_LABELS[s]))),
    );
  };

  const renderTimeline = () => {
    const rows = ordered().map((e) => {
      const cids = CID_ARGS.filter((k) => typeof e.args[k] === "string" && e.args[k]).map((k) => cidLink(config, e.args[k] as string));
      return h("li", { "data-event": e.name },
        h("time", { datetime: new Date(e.timestamp * 1000).toISOString() }, new Date(e.timestamp * 1000).toLocaleTimeString()),
        h("span", { class: "what" }, describe(e)),
        h("span", { class: "refs" }, "tx ", txLink(config, e.tx_hash), cids.length ? [" · CID ", ...cids] : null));
    });
    clear(timelineBox, h("h2", { id: "timeline-h" }, "Timeline"), rows.length ? h("ol", { class: "timeline" }, rows) : h("p", { class: "muted" }, "No events yet."));
  };

  const renderMoney = async () => {
    try {
      const l = await api<JobLedger>(`/api/ledger/${jobId}`);
      const row = (k: string, v: string, id: string) => [h("dt", {}, k), h("dd", { id: `money-${id}` }, eth(v))];
      clear(moneyBox, h("h2", { id: "money-h" }, "Cost"),
        h("dl", { class: "facts" },
          row("Paid into escrow", l.deposit, "deposit"),
          row("To workers", l.to_workers, "workers"),
          row("Verifier fees", l.to_verifiers, "verifiers"),
          row("Protocol fee", l.to_treasury, "fees"),
          row("Refunded to you", l.refunded, "refunded"),
          row("Still held", l.held, "held")),
        l.balanced ? null : notice("error", "This job's books do not balance; see the audit page."),
        h("p", { class: "muted" }, "Refunds are credited to you in the market; withdraw them with the Withdraw button at the top."));
    } catch (err) {
      clear(moneyBox, h("h2", { id: "money-h" }, "Cost"), notice("info", explain(err)));
    }
  };

  const renderFrames = async (): Promise<boolean> => {
    try {
      const { frames } = await api<{ frames: Frame[] }>(`/api/jobs/${jobId}/frames`);
      const done = frames.every((f) => f.status === "assembled");
      clear(framesBox, h("h2", { id: "frames-h" }, "Frames"),
        frames.map((f) => f.status === "assembled"
          ? h("figure", { class: "frame", "data-frame": f.frame },
              h("img", { src: f.png_url, alt: `Frame ${f.frame}, assembled from every verified tile (${f.width}×${f.height})`, width: f.width, height: f.height, id: `frame-${f.frame}-img` }),
              h("figcaption", {}, `Frame ${f.frame} · ${f.width}×${f.height} · `, f.png_cid ? cidLink(config, f.png_cid) : null),
              h("div", { class: "actions" },
                h("a", { class: "button", href: f.png_url, download: `job-${jobId}-frame-${String(f.frame).padStart(4, "0")}.png`, id: `download-png-${f.frame}` }, "Download PNG"),
                h("a", { class: "button", href: f.exr_url, download: `job-${jobId}-frame-${String(f.frame).padStart(4, "0")}.exr`, id: `download-exr-${f.frame}` }, "Download EXR (linear, float)")))
          : h("p", { class: "muted", "data-frame": f.frame }, `Frame ${f.frame}: assembled once all its tiles are accepted.`)));
      return done;
    } catch (err) {
      clear(framesBox, h("h2", { id: "frames-h" }, "Frames"),
        h("p", { class: "muted" }, err instanceof ApiError && err.status === 404 ? "Each frame appears here once all its tiles are verified and accepted." : explain(err)));
      return false;
    }
  };

  const pollFrames = () => {
    window.clearTimeout(framesTimer);
    void renderFrames().then((done) => {
      if (!done && !stopped) framesTimer = window.setTimeout(pollFrames, 2000);
    });
  };

  let moneyTimer = 0;
  const later = () => {
    window.clearTimeout(moneyTimer);
    moneyTimer = window.setTimeout(() => void renderMoney(), 500);
  };

  const onEvent = (e: ChainEvent) => {
    events.set(`${e.block_number}:${e.log_index}`, e);
    if (job) {
      if (e.name === "JobCompleted") job.status = "Completed";
      if (e.name === "JobCancelled") job.status = "Cancelled";
      if (e.name === "BidsSettled") job.status = "Active";
    }
    renderHeader();
    renderTiles();
    renderTimeline();
    later();
  };

  const openStream = () => {
    const last = ordered().at(-1);
    const after = last ? `?after=${last.block_number}:${last.log_index}` : "";
    source = new EventSource(`/api/jobs/${jobId}/events/stream${after}`);
    const names = (config.market_abi ?? []).filter((x) => x.type === "event").map((x) => (x as { name: string }).name);
    for (const name of names) {
      source.addEventListener(name, (m) => onEvent(parseJson((m as MessageEvent).data) as ChainEvent));
    }
    for (const name of EXTRA_STREAM_EVENTS) {
      source.addEventListener(name, (m) => {
        const data = parseJson((m as MessageEvent).data) as Record<string, unknown>;
        if (name === "assembled") {
          toast(`Frame ${data.frame} is assembled`);
          pollFrames();
        } else if (name === "reorg") {
          const from = Number(data.from_block);
          for (const [key, ev] of events) if (ev.block_number >= from) events.delete(key);
          renderTiles();
          renderTimeline();
        } else {
          source?.close();
          void load(false);
          ctx.refreshWallet(); // a refund may be waiting in the market
        }
      });
    }
  };

  const load = async (stream: boolean) => {
    try {
      job = await api<JobDetail>(`/api/jobs/${jobId}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && !stopped) {
        clear(header, h("h1", {}, `Job ${jobId}`), notice("info", "Waiting for the marketplace to index this job from the chain…"));
        retryTimer = window.setTimeout(() => void load(stream), 1000);
        return;
      }
      clear(header, h("h1", {}, `Job ${jobId}`), notice("error", explain(err)));
      return;
    }
    for (const e of job.events) events.set(`${e.block_number}:${e.log_index}`, e);
    if (!grid) {
      try {
        const m = await api<ManifestPublic>(`/api/manifests/${job.manifest_cid}`);
        grid = { frames: m.manifest.frames, columns: m.manifest.tile_grid.columns, rows: m.manifest.tile_grid.rows };
      } catch {
        grid = null; // posted with a manifest stored elsewhere: a flat grid
      }
    }
    renderHeader();
    renderTiles();
    renderTimeline();
    void renderMoney();
    pollFrames();
    if (stream && !stopped) openStream();
  };

  const cancelJob = async () => {
    const button = document.getElementById("cancel-job") as HTMLButtonElement | null;
    if (button) button.disabled = true;
    try {
      await wallet.connect();
      await wallet.ensureChain();
      const hash = await wallet.client!.writeContract({
        address: config.market_address!, abi: config.market_abi!, functionName: "cancelJob",
        args: [BigInt(jobId)], chain: wallet.chain, account: wallet.client!.account ?? wallet.address!,
      });
      await wallet.publicClient.waitForTransactionReceipt({ hash });
      toast(`Job ${jobId} cancelled; the escrow is credited back to you`);
    } catch (err) {
      clear(posted, notice("error", explain(err)));
      if (button) button.disabled = false;
    }
  };

  void load(true);
  return () => {
    stopped = true;
    source?.close();
    window.clearTimeout(framesTimer);
    window.clearTimeout(retryTimer);
    window.clearTimeout(moneyTimer);
  };
}
