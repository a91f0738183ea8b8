// What a job requires of the hardware, what a scene needs in memory, and what a worker declared
// it renders on, in words (pure: no DOM, no network).
import type { Manifest, SceneInfo } from "./types";

/** A manifest's `requirements`: the backend, the least GPU memory and the CPU fallback. */
export type Requirements = Manifest["requirements"];
export type RequiredBackend = Requirements["backend"];
/** What the intake's Blender estimated a scene needs in memory (null: not estimated). */
export type SceneMemory = NonNullable<SceneInfo["memory"]>;

/** The backends a job may require, as the form offers them. */
export const BACKEND_CHOICES: readonly [RequiredBackend, string][] = [
  ["ANY", "Any (CPU or GPU)"],
  ["GPU", "Any GPU"],
  ["CPU", "CPU"],
  ["CUDA", "CUDA (NVIDIA)"],
  ["OPTIX", "OptiX (NVIDIA RTX)"],
  ["HIP", "HIP (AMD)"],
  ["ONEAPI", "oneAPI (Intel)"],
  ["METAL", "Metal (Apple)"],
];

/** The most GPU memory a requirement or a declaration may name (the contract's uint32). */
export const MAX_VRAM_MIB = 2 ** 32 - 1;

/** A backend class or requirement by name ("OptiX", "any GPU"). */
export function backendLabel(backend: string): string {
  const names: Record<string, string> = {
    ANY: "any backend",
    GPU: "any GPU",
    CPU: "CPU",
    CUDA: "CUDA",
    OPTIX: "OptiX",
    HIP: "HIP",
    ONEAPI: "oneAPI",
    METAL: "Metal",
  };
  return names[backend] ?? backend;
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
  const fallback =
    r.backend === "CPU"
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
    `memory and a margin, about ${mib(suggested)}. GPU workers with less are not offered the job.` +
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
