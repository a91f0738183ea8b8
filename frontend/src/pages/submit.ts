// Render: drop a .blend, see what was read, choose the job's settings with a live cost, post the
// job and pay its escrow in one transaction signed by the artist's wallet.
import { api, ApiError, postJson } from "../api";
import type { Ctx } from "../app";
import { clear, h, notice } from "../dom";
import { explain, PlainError } from "../errors";
import { dateTimeInput, eth, seconds, when } from "../format";
import type { Estimate, ManifestPublic, ScenePublic } from "../types";
import { type Chosen, defaultFinalDeadline, jobFieldsets, jobParams, read } from "./job-form";
import { postScene, refusalQuestion, SceneRefused, type Waivers } from "./scene-checks";
import { sceneFacts } from "./scene-facts";

const NO_WAIVERS: Waivers = { allowMissing: false, cyclesInstead: false };

/** The submit page; `sceneCid` (from `#/submit?scene=CID`) opens a scene uploaded before. */
export function submitPage(
  root: HTMLElement,
  ctx: Ctx,
  sceneCid: string | null = null,
): () => void {
  const { wallet } = ctx;
  const status = h("div", { id: "upload-status", "aria-live": "polite" });
  const fileInput = h("input", {
    id: "scene-file",
    type: "file",
    accept: ".blend",
    class: "visually-hidden",
    tabindex: "-1", // the drop zone below is the one keyboard stop for it
    "aria-label": "Choose a .blend file",
  });
  const drop = h(
    "label",
    { class: "drop", for: "scene-file", tabindex: "0", role: "button", id: "drop" },
    h("strong", {}, "Drop your .blend here"),
    h("span", {}, " or press Enter to choose a file"),
  );
  const sceneBox = h("section", { id: "scene", "aria-live": "polite" });
  const formBox = h("div", { id: "job-form-box" });

  clear(
    root,
    h(
      "section",
      { class: "hero" },
      h("h1", {}, "Render your scene on an open market"),
      h(
        "p",
        {},
        "Workers bid sealed prices for your tiles, render them with Blender Cycles, and get paid only after another worker re-renders random patches and agrees. Your money sits in escrow on chain until then.",
      ),
    ),
    h("section", { class: "card" }, h("h2", {}, "1. Your scene"), fileInput, drop, status),
    sceneBox,
    formBox,
  );

  const upload = async (file: File, waivers: Waivers = NO_WAIVERS) => {
    clear(status, notice("info", `Uploading ${file.name} and reading it in a sandboxed Blender…`));
    clear(sceneBox);
    clear(formBox);
    drop.setAttribute("aria-busy", "true");
    try {
      const scene = await postScene(file, waivers);
      clear(status, notice("ok", `${scene.filename} is stored on IPFS.`));
      showScene(scene);
    } catch (err) {
      if (err instanceof SceneRefused) {
        // Asked, never waived on the artist's behalf: the same file goes again with the waiver.
        const ask = refusalQuestion(
          file.name,
          err,
          (waive) => void upload(file, { ...waivers, ...waive }),
          (hint) => clear(status, h("div", { id: "upload-cancelled" }, notice("info", hint))),
        );
        clear(status, ask);
        ask.querySelector("button")?.focus();
        return;
      }
      const prefix =
        err instanceof ApiError && err.status === 413
          ? "This file is too large for this marketplace: "
          : err instanceof ApiError && err.status === 415
            ? "This is not a file the marketplace can render: "
            : "The upload failed: ";
      clear(status, h("div", { id: "upload-error" }, notice("error", prefix, explain(err))));
    } finally {
      drop.removeAttribute("aria-busy");
    }
  };

  // A scene uploaded elsewhere (the Blender add-on): shown as if just uploaded here.
  const load = async (cid: string) => {
    clear(status, notice("info", "Loading the uploaded scene…"));
    try {
      const scene = await api<ScenePublic>(`/api/scenes/${encodeURIComponent(cid)}`);
      clear(status, notice("ok", `${scene.filename} is stored on IPFS.`));
      showScene(scene);
    } catch (err) {
      clear(
        status,
        h(
          "div",
          { id: "upload-error" },
          notice("error", "This scene cannot be shown: ", explain(err)),
        ),
      );
    }
  };

  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    if (file) void upload(file);
  });
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      fileInput.click();
    }
  });
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = e.dataTransfer?.files[0];
    if (file) void upload(file);
  });

  let estimateTimer = 0;
  // How far the chain's clock is ahead of this browser's, in seconds: the contract checks the
  // final deadline against the block's timestamp.
  let chainAhead = 0;
  const chainNow = () => Date.now() / 1000 + chainAhead;
  const showScene = (scene: ScenePublic) => {
    const info = scene.info;
    const pct = info.resolution_percentage / 100;
    const width = Math.max(1, Math.round(info.width * pct));
    const height = Math.max(1, Math.round(info.height * pct));
    clear(sceneBox, sceneFacts(scene, width, height));
    showForm(scene, width, height);
  };

  const showForm = (scene: ScenePublic, width: number, height: number) => {
    const info = scene.info;
    const estimateBox = h("div", { id: "estimate", class: "estimate", "aria-live": "polite" });
    const result = h("div", { id: "submit-result", "aria-live": "polite" });
    const submit = h(
      "button",
      { type: "submit", class: "primary", id: "post-job" },
      "Post job and pay",
    );
    const form = h(
      "form",
      { id: "job-form", class: "card", novalidate: true },
      h("h2", {}, "3. Your job"),
      jobFieldsets(info, width, height, chainNow(), scene.min_vram_mib),
      estimateBox,
      h("div", { class: "actions" }, submit),
      result,
    );
    clear(formBox, form);
    const rounds = form.elements.namedItem("max_rounds") as HTMLInputElement;
    const deadline = form.elements.namedItem("final_deadline") as HTMLInputElement;
    let deadlineEdited = false;
    deadline.addEventListener("input", () => (deadlineEdited = true));
    // No final deadline without rounds.
    const toggleDeadline = () => (deadline.disabled = rounds.value.trim() === "0");
    rounds.addEventListener("input", toggleDeadline);
    // The default deadline counts from the chain's clock, which a devnet may have moved on.
    void wallet.publicClient
      .getBlock()
      .then((block) => {
        chainAhead = Number(block.timestamp) - Date.now() / 1000;
        if (deadlineEdited) return;
        deadline.value = dateTimeInput(defaultFinalDeadline(chainNow(), 60, 60));
        later();
      })
      .catch(() => {});

    const refresh = async () => {
      let chosen: Chosen;
      try {
        chosen = read(form, scene.cid, chainNow());
      } catch (err) {
        clear(estimateBox, notice("info", explain(err)));
        return;
      }
      const lines: (HTMLElement | string)[] = [];
      let deposit: bigint | null = null;
      try {
        deposit = await quote(chosen);
        submit.textContent = `Post job and pay ${eth(deposit)}`;
        lines.push(
          h(
            "p",
            {},
            h("strong", {}, `You lock ${eth(deposit)}`),
            ` now for ${chosen.tiles} tiles (${chosen.manifest.frames.length} frame${chosen.manifest.frames.length > 1 ? "s" : ""}); what the winning bids leave unused comes back to you.`,
          ),
        );
      } catch (err) {
        lines.push(notice("error", explain(err)));
      }
      const fee = chosen.verifyFee.toString();
      try {
        const est = await api<Estimate>(
          `/api/prices/estimate?tiles=${chosen.tiles}&verify_fee_per_tile=${fee}`,
        );
        lines.push(
          h(
            "p",
            {},
            `At recent prices (${est.based_on_bids} winning bid${est.based_on_bids === 1 ? "" : "s"}): about `,
            h("strong", { id: "estimate-total" }, eth(est.total)),
            ` — ${eth(est.price_per_tile)} per tile, ${eth(est.protocol_fee)} protocol fee, ${eth(est.verification_budget)} for verifiers.`,
          ),
        );
      } catch (err) {
        lines.push(
          h(
            "p",
            { class: "muted" },
            err instanceof ApiError && err.status === 404
              ? "No tiles have sold here yet, so there is no market price to estimate from: you pay at most your maximum."
              : explain(err),
          ),
        );
      }
      lines.push(
        h(
          "p",
          { class: "muted" },
          `Bids close after ${seconds(chosen.windows.bid)}, reveals after ${seconds(chosen.windows.reveal)} more; workers then have ${seconds(chosen.windows.render)} to render.`,
        ),
        h(
          "p",
          { class: "muted", id: "rounds-summary" },
          chosen.rounds.max === 0
            ? "No re-offer rounds: tiles nobody buys or delivers are refunded when the job ends."
            : `Tiles nobody buys, or whose worker is late or rejected, go back on the market up to ${chosen.rounds.max} time${chosen.rounds.max === 1 ? "" : "s"} until ${when(chosen.rounds.finalDeadline)}, paid from what your escrow holds unspent; the rest is refunded when the job ends.`,
        ),
      );
      clear(estimateBox, lines);
    };
    const later = () => {
      window.clearTimeout(estimateTimer);
      estimateTimer = window.setTimeout(() => void refresh(), 250);
    };
    form.addEventListener("input", later);
    void refresh();

    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void post(form, scene, submit, result);
    });
  };

  const quote = (chosen: Chosen): Promise<bigint> =>
    ctx.market().quote(chosen.tiles, chosen.maxPrice, chosen.verifyFee);

  const post = async (
    form: HTMLFormElement,
    scene: ScenePublic,
    submit: HTMLButtonElement,
    result: HTMLElement,
  ) => {
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    const say = (...children: (HTMLElement | string)[]) =>
      clear(result, notice("info", ...children));
    try {
      const chosen = read(form, scene.cid, chainNow());
      const address = await wallet.connect();
      await wallet.ensureChain();
      const deposit = await quote(chosen);
      const balance = await wallet.balance();
      if (balance < deposit) {
        throw new PlainError(
          `Not enough ETH: this job locks ${eth(deposit)} plus gas, and your wallet ${address} holds ${eth(balance)}. Lower the maximum price per tile or add ETH.`,
        );
      }
      say("Storing the render manifest…");
      const stored = await postJson<ManifestPublic>("/api/manifests", chosen.manifest);
      say("Confirm the payment in your wallet…");
      const { jobId, hash } = await ctx
        .market()
        .postJob(jobParams(chosen), stored.cid, deposit, (sent) =>
          say(
            "Transaction sent: ",
            h("code", { class: "mono" }, sent),
            ". Waiting for it to be mined…",
          ),
        );
      sessionStorage.setItem(
        `tilefarm.posted.${jobId}`,
        JSON.stringify({ hash, deposit: deposit.toString() }),
      );
      clear(
        result,
        notice(
          "ok",
          `Job ${jobId} is posted and paid (${eth(deposit)}) in transaction `,
          h("code", { class: "mono", id: "posted-tx" }, hash),
          ". ",
          h("a", { href: `#/jobs/${jobId}` }, `Watch job ${jobId}`),
        ),
      );
      ctx.refreshWallet();
      ctx.navigate(`#/jobs/${jobId}`);
    } catch (err) {
      clear(result, h("div", { id: "submit-error" }, notice("error", explain(err))));
      (result.querySelector("[role=alert]") as HTMLElement | null)?.focus?.();
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  };

  if (sceneCid) void load(sceneCid);
  return () => window.clearTimeout(estimateTimer);
}
