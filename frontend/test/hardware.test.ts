// GPU workers on the page: what a job requires of the hardware and what a scene's estimate says,
// in words; what a worker declared; a seat given back, with its cause, on its tiles and in the
// timeline.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BACKEND_CHOICES,
  backendLabel,
  declaredText,
  estimateText,
  requirementsText,
} from "../src/hardware";
import { givenBack, tileLabel, tileStates } from "../src/tiles";
import { describe } from "../src/timeline";
import type { ChainEvent } from "../src/types";

let position = 0;
function ev(name: string, args: Record<string, unknown> = {}, job = 1): ChainEvent {
  position += 1;
  return {
    block_number: position,
    log_index: 0,
    tx_hash: `0x${position}`,
    timestamp: position,
    name,
    job_id: job,
    actor: null,
    args,
  };
}
const A = "0x000000000000000000000000000000000000000A";
const B = "0x000000000000000000000000000000000000000B";
const OOM = "a worker's GPU ran out of memory";

test("a job's requirements in one sentence", () => {
  assert.equal(
    requirementsText({ backend: "ANY", min_vram_mib: 0, cpu_fallback: true }),
    "Any backend.",
  );
  // Open to any backend, a job takes CPU tiles whatever its fallback says.
  assert.equal(
    requirementsText({ backend: "ANY", min_vram_mib: 0, cpu_fallback: false }),
    "Any backend.",
  );
  assert.equal(
    requirementsText({ backend: "GPU", min_vram_mib: 6144, cpu_fallback: false }),
    "Any GPU with at least 6,144 MiB on a GPU; GPU renders only: a worker whose GPU fails gives its tiles back.",
  );
  assert.equal(
    requirementsText({ backend: "OPTIX", min_vram_mib: 8192, cpu_fallback: true }),
    "OptiX with at least 8,192 MiB on a GPU; a worker whose GPU fails may finish its tiles on its CPU.",
  );
  // A CPU job is not held to GPU memory, and has no GPU to fail.
  assert.equal(
    requirementsText({ backend: "CPU", min_vram_mib: 4096, cpu_fallback: true }),
    "CPU.",
  );
});

test("the backends a job may require, as the form offers them and as sentences name them", () => {
  // The list itself is held to the API's `Requirements.backend` by the compiler.
  assert.deepEqual(BACKEND_CHOICES[0], ["ANY", "Any (CPU or GPU)"]);
  assert.deepEqual(
    BACKEND_CHOICES.find(([backend]) => backend === "OPTIX"),
    ["OPTIX", "OptiX (NVIDIA RTX)"],
  );
  assert.equal(new Set(BACKEND_CHOICES.map(([backend]) => backend)).size, BACKEND_CHOICES.length);
  assert.equal(backendLabel("ONEAPI"), "oneAPI");
  assert.equal(backendLabel("GPU"), "any GPU");
  // A backend a newer server names, and names no backend has, are shown as they are.
  assert.equal(backendLabel("VULKAN"), "VULKAN");
  assert.equal(backendLabel("constructor"), "constructor");
});

test("the scene's estimate beside the GPU memory, and a scene without one", () => {
  const memory = {
    textures_bytes: 163840,
    geometry_bytes: 3 * 2 ** 20,
    images: 2,
    images_missing: 1,
    vertices: 8,
    triangles: 12345,
  };
  const text = estimateText(memory, 768);
  assert.match(text, /an estimate, not a promise/);
  assert.match(text, /textures 160 KiB \(2 images\), geometry 3\.0 MiB \(12,345 triangles\)/);
  assert.match(text, /about 768 MiB/);
  // The field stays at 0: workers that could not measure their GPU's memory declare 0 MiB, and
  // any minimum would turn them away.
  assert.match(text, /Left at 0, every GPU worker may bid/);
  assert.match(text, /could not measure their memory/);
  assert.doesNotMatch(text, /are not offered the job/);
  assert.match(text, /1 image is not packed into the \.blend/);
  assert.equal(estimateText(null, 0), "No estimate for this scene: 0 asks for no minimum.");
});

test("what a worker declared it renders on", () => {
  assert.equal(declaredText("CUDA", 8192), "CUDA, 8,192 MiB");
  assert.equal(declaredText("CPU", 0), "CPU");
  assert.equal(declaredText(null, 0), "not declared");
});

test("a seat given back ends as a late one, and its tiles and the timeline say why", () => {
  const events = [
    ev("JobPosted", { artist: B }),
    ev("TilesAssigned", { worker: A, first_tile: 0, tile_count: 2 }),
    ev("TilesAssigned", { worker: B, first_tile: 2, tile_count: 1 }),
    ev("SeatAbandoned", { worker: A, cause: 1, slashed: "1000000000000000" }),
  ];
  assert.deepEqual(
    tileStates(3, events).map((t) => t.state),
    ["late", "late", "assigned"],
  );
  const back = ev("TilesReturned", {
    round_id: 1,
    worker: A,
    first_tile: 0,
    tile_count: 2,
    cause: 10,
  });
  const tiles = tileStates(3, [...events, back]);
  assert.deepEqual(
    tiles.map((t) => t.state),
    ["reoffered", "reoffered", "assigned"],
  );
  assert.equal(tiles[0].returns[0].given, 1);
  const causes = new Map([[1, OOM]]);
  assert.match(
    tileLabel(tiles[0], causes),
    new RegExp(`worker ${A} gave it back: ${OOM} in the first sale`),
  );
  // Before the server's words arrive, the code stands in for them.
  assert.match(tileLabel(tiles[0]), /gave it back: a worker gave its tiles back \(cause 1\)/);
  // A late worker's tiles still read "late".
  const late = [
    ev("TilesAssigned", { worker: B, first_tile: 0, tile_count: 1 }),
    ev("WorkerTimedOut", { worker: B, slashed: "1" }),
    ev("TilesReturned", { round_id: 1, worker: B, first_tile: 0, tile_count: 1, cause: 10 }),
  ];
  assert.match(tileLabel(tileStates(1, late)[0], causes), /worker 0x0+B late in the first sale/);
  assert.equal(
    describe(events[3], undefined, new Map(), causes),
    `0x0000…000A gave its tiles back: ${OOM}; 0.001 ETH slashed, as a late worker is`,
  );
  assert.equal(
    describe(back, undefined, new Map(), causes, 1),
    `Tiles 0–1 went back to the unsold tiles: worker 0x0000…000A gave them back: ${OOM} (the first sale)`,
  );
  assert.deepEqual(givenBack([...events, back]), [
    { job: 1, round: 0, worker: A, cause: 1, first: 0, count: 2 },
  ]);
});
