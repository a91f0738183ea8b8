// What was read from an uploaded scene, as the artist checks it before choosing a job: frames,
// size, camera, engine, memory, the files outside the .blend and the colour management as saved.
import { type Child, h } from "../dom";
import { bytes } from "../hardware";
import type { SceneInfo, ScenePublic } from "../types";
import { cyclesInstead, engineName, outsideFilesFact } from "./scene-checks";

/** The scene's colour management as saved, in words. */
function colourFact(info: SceneInfo): string {
  const c = info.colour;
  if (!c) return "not read";
  const parts = [`${c.view_transform} on ${c.display_device}`];
  if (c.look !== "None") parts.push(`look ${c.look}`);
  parts.push(`exposure ${c.exposure}`, `gamma ${c.gamma}`, `dither ${c.dither_intensity}`);
  if (c.use_white_balance) parts.push(`white balance ${c.white_balance_temperature} K`);
  if (c.working_space) parts.push(`working space ${c.working_space}`);
  // Blender saves renders with the output's own settings when they override the scene's.
  return parts.join(", ") + (c.output_override ? " (the render output's own settings)" : "");
}

/** The card of facts read from `scene`; `width` x `height` is the size it renders at. */
export function sceneFacts(scene: ScenePublic, width: number, height: number): HTMLElement {
  const info = scene.info;
  const step = info.frame_step > 1 ? `, step ${info.frame_step}` : "";
  const facts: [string, Child][] = [
    ["Scene", info.scene],
    ["Frames", `${info.frame_start}–${info.frame_end}${step} at ${info.fps} fps`],
    ["Resolution", `${width} × ${height} px`],
    ["Camera", info.camera ?? "none (add one before rendering)"],
    [
      "Engine",
      cyclesInstead(info)
        ? `${engineName(info.engine)}, rendered with Cycles instead`
        : engineName(info.engine),
    ],
    ["Samples", info.samples === null ? "not set" : String(info.samples)],
    [
      "Memory",
      info.memory
        ? `about ${bytes(info.memory.textures_bytes)} of textures and ${bytes(info.memory.geometry_bytes)} of geometry (${info.memory.triangles.toLocaleString("en-US")} triangles), estimated`
        : "not estimated",
    ],
    ["Outside files", outsideFilesFact(info)],
    ["Colour", colourFact(info)],
    ["Size", `${(scene.size / 1024).toFixed(1)} KiB`],
    ["CID", scene.cid],
  ];
  return h(
    "div",
    { class: "card" },
    h("h2", {}, "2. What we read from it"),
    h(
      "dl",
      { class: "facts", id: "scene-facts" },
      facts.map(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k.toLowerCase() }, v)]),
    ),
  );
}
