// The job form's fields and what they read into: a manifest and the job's on-chain parameters.
import { h, notice } from "../dom";
import { PlainError } from "../errors";
import { dateTimeInput, fromDateTimeInput } from "../format";
import { parseFrames, sceneFrames } from "../frames";
import {
  BACKEND_CHOICES,
  estimateText,
  MAX_VRAM_MIB,
  mib,
  type RequiredBackend,
} from "../hardware";
import type { JobParams } from "../market";
import { MAX_ROUNDS, roundsProblem } from "../rounds";
import type { ManifestDraft, SceneInfo } from "../types";
import { choice, ether, type Field, field, num, tick } from "./form-fields";
import { cyclesInstead, engineName } from "./scene-checks";
import { colourFieldset, readColour } from "./scene-colour";

export interface Chosen {
  manifest: ManifestDraft;
  tiles: number;
  maxPrice: bigint;
  verifyFee: bigint;
  bidBond: bigint;
  windows: { bid: number; reveal: number; render: number; verify: number };
  /** Re-offer rounds after the first sale, and when re-offering ends (0 without rounds). */
  rounds: { max: number; finalDeadline: number };
}

/** The final deadline a form proposes: this many days after the first reveal window. */
export const DEFAULT_FINAL_DAYS = 3;
export const DEFAULT_ROUNDS = 2;

/** What was chosen, checked as the contract checks it; `now` is the chain's clock (unix seconds),
 * which the first reveal window counts from. */
export function read(form: HTMLFormElement, sceneCid: string, now = Date.now() / 1000): Chosen {
  let frames: number[];
  try {
    frames = parseFrames((form.elements.namedItem("frames") as HTMLInputElement).value);
  } catch (e) {
    throw new PlainError(`Frames: ${(e as Error).message}.`);
  }
  const columns = num(form, "columns");
  const rows = num(form, "rows");
  const tiles = columns * rows * frames.length;
  if (tiles > 65_535) throw new PlainError(`${tiles} tiles is more than a job can hold (65,535).`);
  const windows = {
    bid: num(form, "bid_window"),
    reveal: num(form, "reveal_window"),
    render: num(form, "render_window"),
    verify: num(form, "verify_window"),
  };
  const roundsText = (form.elements.namedItem("max_rounds") as HTMLInputElement).value.trim();
  const maxRounds = roundsText === "" ? Number.NaN : Number(roundsText);
  const deadlineText = (form.elements.namedItem("final_deadline") as HTMLInputElement).value;
  const finalDeadline = maxRounds === 0 ? 0 : fromDateTimeInput(deadlineText);
  const problem = roundsProblem(
    maxRounds,
    finalDeadline,
    Math.floor(now) + windows.bid + windows.reveal,
  );
  if (problem) throw new PlainError(problem);
  const minVram = num(form, "min_vram_mib");
  if (minVram > MAX_VRAM_MIB)
    throw new PlainError(`Minimum GPU memory must be at most ${MAX_VRAM_MIB} MiB.`);
  return {
    manifest: {
      scene_cid: sceneCid,
      frames,
      resolution: { width: num(form, "width"), height: num(form, "height") },
      tile_grid: { columns, rows },
      samples: num(form, "samples"),
      verification: { patch_count: num(form, "patch_count"), patch_size: num(form, "patch_size") },
      requirements: {
        backend: (form.elements.namedItem("backend") as HTMLSelectElement).value as RequiredBackend,
        min_vram_mib: minVram,
        cpu_fallback: (form.elements.namedItem("cpu_fallback") as HTMLInputElement).checked,
      },
      colour: readColour(form),
      cycles_instead:
        (form.elements.namedItem("cycles_instead") as HTMLInputElement | null)?.value === "true",
    },
    tiles,
    maxPrice: ether(form, "max_price"),
    verifyFee: ether(form, "verify_fee"),
    bidBond: ether(form, "bid_bond"),
    windows,
    rounds: { max: maxRounds, finalDeadline },
  };
}

/** The contract's parameters for what was chosen. */
export function jobParams(chosen: Chosen): JobParams {
  return {
    tileCount: chosen.tiles,
    frameCount: chosen.manifest.frames.length,
    maxPricePerTile: chosen.maxPrice,
    verifyFeePerTile: chosen.verifyFee,
    bidBond: chosen.bidBond,
    bidWindow: chosen.windows.bid,
    revealWindow: chosen.windows.reveal,
    renderWindow: chosen.windows.render,
    verifyWindow: chosen.windows.verify,
    maxRounds: chosen.rounds.max,
    finalDeadline: chosen.rounds.finalDeadline,
  };
}

const wholeField = (name: string, label: string, value: number, min = 1): Field => ({
  name,
  label,
  value: String(value),
  type: "number",
  min,
});
const ethField = (name: string, label: string, value: string, hint?: string): Field => ({
  name,
  label,
  value,
  hint,
  inputmode: "decimal",
});

/** The final deadline proposed for a job posted at `now` with these bid and reveal windows. */
export function defaultFinalDeadline(now: number, bidWindow: number, revealWindow: number): number {
  return Math.floor(now) + bidWindow + revealWindow + DEFAULT_FINAL_DAYS * 86_400;
}

/** A button that puts the scene's suggested GPU memory into the form's field, as if typed. */
function useEstimate(suggestedVramMib: number): HTMLElement {
  const put = (event: Event) => {
    const form = (event.currentTarget as HTMLButtonElement).form;
    const input = form?.elements.namedItem("min_vram_mib") as HTMLInputElement | null;
    if (!input) return;
    input.value = String(suggestedVramMib);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  };
  return h(
    "button",
    {
      type: "button",
      class: "small",
      id: "use-vram-estimate",
      "aria-controls": "f-min_vram_mib",
      onclick: put,
    },
    `Use the estimate (${mib(suggestedVramMib)})`,
  );
}

/** The form's fields, grouped, with defaults from the scene (frame, size, samples); `now` is the
 * chain's clock, from which the default final deadline counts. The GPU memory starts at 0 (no
 * minimum: GPU workers that could not measure theirs declare 0 and would skip any other), with
 * what the scene's estimate suggests (`suggestedVramMib`, 0 when nothing is known) beside it, one
 * click away. */
export function jobFieldsets(
  info: SceneInfo,
  width: number,
  height: number,
  now = Date.now() / 1000,
  suggestedVramMib = 0,
): HTMLElement[] {
  const group = (legend: string, fields: Field[], hidden = false) =>
    h(
      "fieldset",
      {},
      h("legend", { class: hidden ? "visually-hidden" : null }, legend),
      fields.map(field),
    );
  return [
    ...(cyclesInstead(info)
      ? [
          notice(
            "info",
            h(
              "span",
              { id: "cycles-instead-note" },
              `This scene was saved for ${engineName(info.engine)}; it is rendered with Cycles instead, so its look will differ from ${engineName(info.engine)}'s (lights, materials and effects render differently).`,
            ),
            // The manifest records it: workers and auditors know the engine was changed.
            h("input", { type: "hidden", name: "cycles_instead", value: "true" }),
          ),
        ]
      : []),
    group("What to render", [
      {
        name: "frames",
        label: "Frames",
        value: sceneFrames(info.frame_start, info.frame_end, info.frame_step),
        hint: "e.g. 1, 1-24, 1-240x2 (every 2nd frame) or 1,5,9",
      },
      wholeField("width", "Width (px)", width),
      wholeField("height", "Height (px)", height),
      wholeField("samples", "Samples", info.samples ?? 64),
      wholeField("columns", "Tile columns", 4),
      wholeField("rows", "Tile rows", 2),
    ]),
    ...colourFieldset(info),
    h(
      "fieldset",
      { id: "hardware" },
      h("legend", {}, "Hardware"),
      choice(
        "backend",
        "Backend",
        BACKEND_CHOICES,
        "what workers must render on; renders of one scene on two backends differ by noise only",
      ),
      field({
        ...wholeField("min_vram_mib", "Minimum GPU memory (MiB)", 0, 0),
        max: MAX_VRAM_MIB,
        hint: "asked of GPU workers only (a CPU renders from host memory); 0: no minimum",
      }),
      h(
        "p",
        { class: "muted estimate-note", id: "vram-estimate" },
        estimateText(info.memory, suggestedVramMib),
        suggestedVramMib > 0 ? [" ", useEstimate(suggestedVramMib)] : null,
      ),
      tick(
        "cpu_fallback",
        "Allow a worker to finish on its CPU if its GPU fails",
        true,
        "off: GPU renders only; a worker whose GPU fails gives its tiles back to be sold again",
      ),
    ),
    group("What you pay", [
      ethField(
        "max_price",
        "Maximum price per tile (ETH)",
        "0.001",
        "bids above it are refused; you pay what workers bid",
      ),
      ethField("verify_fee", "Verifier fee per tile (ETH)", "0.000001"),
      ethField(
        "bid_bond",
        "Bid bond (ETH)",
        "0.0001",
        "what a bidder locks; lost if it never reveals",
      ),
    ]),
    group("Deadlines (seconds)", [
      wholeField("bid_window", "Sealed bids for", 60),
      wholeField("reveal_window", "Reveals for", 60),
      wholeField("render_window", "Rendering within", 3600),
      wholeField("verify_window", "Verification within", 1800),
    ]),
    group("If tiles are not delivered", [
      {
        ...wholeField("max_rounds", "Re-offer rounds", DEFAULT_ROUNDS, 0),
        max: MAX_ROUNDS,
        hint:
          `tiles nobody bought, or whose worker was late or rejected, go back on the market up ` +
          `to this many times, paid from your escrow (0 to ${MAX_ROUNDS}; 0: refunded instead)`,
      },
      {
        name: "final_deadline",
        label: "Final deadline",
        type: "datetime-local",
        value: dateTimeInput(defaultFinalDeadline(now, 60, 60)),
        hint: "no new round opens after it (your local time); what is still unsold is refunded",
      },
    ]),
    h(
      "details",
      {},
      h("summary", {}, "Verification spot-checks"),
      group(
        "Spot-checks",
        [
          wholeField("patch_count", "Patches re-rendered per result", 48),
          wholeField("patch_size", "Patch size (px)", 16, 4),
        ],
        true,
      ),
    ),
  ];
}
