// What a job requires of the hardware, what a scene needs in memory, and what a worker declared
// it renders on, in words (pure: no DOM, no network).
import type { Manifest, SceneInfo } from "./types";

/** A manifest's `requirements`: the backend, the least GPU memory and the CPU fallback. */
export type Requirements = Manifest["requirements"];
export type RequiredBackend = Requirements["backend"];
/** What the intake's Blender estimated a scene needs in memory (null: not estimated). */
export type SceneMemory = NonNullable<SceneInfo["memory"]>;

/** Each backend a job may require, as the form offers it and as a sentence names it. The keys
 * are the API's `Requirements.backend` (src/generated/api.ts): the compiler refuses this table
 * with one missing or one the API does not accept. */
const BACKENDS = {
  ANY: ["Any (CPU or GPU)", "any backend"],
  GPU: ["Any GPU", "any GPU"],
  CPU: ["CPU", "CPU"],
  CUDA: ["CUDA (NVIDIA)", "CUDA"],
  OPTIX: ["OptiX (NVIDIA RTX)", "OptiX"],
  HIP: ["HIP (AMD)", "HIP"],
  ONEAPI: ["oneAPI (Intel)", "oneAPI"],
  METAL: ["Metal (Apple)", "Metal"],
} as const satisfies Record<RequiredBackend, readonly [choice: string, name: string]>;

/** The backends a job may require, as the form offers them. */
export const BACKEND_CHOICES: readonly (readonly [RequiredBackend, string])[] = (
  Object.keys(BACKENDS) as RequiredBackend[]
).map((backend) => [backend, BACKENDS[backend][0]] as const);

/** The most GPU memory a requirement or a declaration may name (the contract's uint32, the
 * server's `MAX_VRAM_MIB`). The generated API types carry no numbers (openapi-typescript drops a
 * schema's `maximum`), so the page states it once, here; the server refuses a manifest past it. */
export const MAX_VRAM_MIB = 2 ** 32 - 1;

/** A backend class or requirement by name ("OptiX", "any GPU"); one the page does not know (a
 * newer server's) as it is. */
export function backendLabel(backend: string): string {
  return Object.hasOwn(BACKENDS, backend) ? BACKENDS[backend as RequiredBackend][1] : backend;
}

/** "8,192 MiB". */
export const mib = (value: number): string => `${value.toLocaleString("en-US")} MiB`;

/** Bytes as the larger of MiB or KiB people read ("1.5 MiB", "160 KiB"). */
export function bytes(value: number): string {
  if (value >= 2 ** 30) return `${(value / 2 ** 30).toFixed(1)} GiB`;
  if (value >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(value / 1024).toLocaleString("en-US")} KiB`;
}

/** What a job requires of its workers, in one sentence. */
export function requirementsText(r: Requirements): string {
  const backend =
    r.backend === "ANY" ? "Any backend" : r.backend === "GPU" ? "Any GPU" : backendLabel(r.backend);
  const gpuMemory =
    r.min_vram_mib > 0 && r.backend !== "CPU"
      ? ` with at least ${mib(r.min_vram_mib)} on a GPU`
      : "";
  // A job open to any backend takes CPU tiles anyway; only a GPU job's fallback says anything.
  const fallback =
    r.backend === "CPU" || r.backend === "ANY"
      ? ""
      : r.cpu_fallback
        ? "; a worker whose GPU fails may finish its tiles on its CPU"
        : "; GPU renders only: a worker whose GPU fails gives its tiles back";
  return `${backend}${gpuMemory}${fallback}.`;
}

/** What the scene's estimate says, beside the form's GPU memory field. */
export function estimateText(memory: SceneMemory | null | undefined, suggested: number): string {
  if (!memory) return "No estimate for this scene: 0 asks for no minimum.";
  const images = `${memory.images} image${memory.images === 1 ? "" : "s"}`;
  const triangles = `${memory.triangles.toLocaleString("en-US")} triangles`;
  const missing = memory.images_missing
    ? ` ${memory.images_missing} image${memory.images_missing === 1 ? " is" : "s are"} not packed into the .blend: workers will not have ${memory.images_missing === 1 ? "it" : "them"}.`
    : "";
  return (
    `Estimated from the scene (an estimate, not a promise): textures ${bytes(memory.textures_bytes)} ` +
    `(${images}), geometry ${bytes(memory.geometry_bytes)} (${triangles}); with Cycles' own ` +
    `memory and a margin, about ${mib(suggested)}. Left at 0, every GPU worker may bid, ` +
    `those that could not measure their memory (they declare 0 MiB) too; a minimum turns ` +
    `away GPU workers that declared less.` +
    missing
  );
}

/** What a worker declared it renders on ("CUDA, 8,192 MiB"; "not declared"). */
export function declaredText(backend: string | null, vramMib: number): string {
  if (!backend) return "not declared";
  return backend === "CPU" || vramMib === 0
    ? backendLabel(backend)
    : `${backendLabel(backend)}, ${mib(vramMib)}`;
}
