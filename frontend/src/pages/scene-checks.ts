// What the server checks of an uploaded scene before storing it, and how the page asks the
// artist about it: outside files the .blend does not carry (`missing_files`), and a scene saved
// for another engine than Cycles (`engine_not_cycles`). Each refusal can be waived by uploading
// the same file again with a flag; the page asks first, and never waives one on its own.
import { api, ApiError } from "../api";
import { h } from "../dom";
import type { SceneInfo, ScenePublic } from "../types";

export type ExternalFile = SceneInfo["external_files"][number];

/** What the artist agreed to for this upload (each starts false). */
export interface Waivers {
  allowMissing: boolean;
  cyclesInstead: boolean;
}

/** A scene the server refused for a reason the artist may waive. */
export class SceneRefused extends Error {
  constructor(
    readonly reason:
      | { code: "missing_files"; files: ExternalFile[]; more: number }
      | { code: "engine_not_cycles"; engine: string },
    message: string,
  ) {
    super(message);
    this.name = "SceneRefused";
  }
}

/** Blender's render engines by the names its interface shows (an add-on's engine: its id). */
const ENGINE_NAMES: Record<string, string> = {
  CYCLES: "Cycles",
  BLENDER_EEVEE: "Eevee",
  BLENDER_EEVEE_NEXT: "Eevee",
  BLENDER_WORKBENCH: "Workbench",
};

export const engineName = (engine: string): string => ENGINE_NAMES[engine] ?? engine;

/** Whether a scene renders with another engine than the one it was saved for. */
export const cyclesInstead = (info: Pick<SceneInfo, "engine">): boolean => info.engine !== "CYCLES";

/** Upload `file` as a scene: the stored scene, `SceneRefused` for a refusal the artist may
 * waive, or `ApiError` for any other. */
export async function postScene(file: File, waivers: Waivers): Promise<ScenePublic> {
  const query = new URLSearchParams({
    filename: file.name,
    allow_missing: String(waivers.allowMissing),
    cycles_instead: String(waivers.cyclesInstead),
  });
  try {
    return await api<ScenePublic>(`/api/scenes?${query}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: file,
    });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 422) throw err;
    const details = err.details;
    if (err.code === "missing_files") {
      const files = Array.isArray(details.missing_files)
        ? (details.missing_files as ExternalFile[])
        : [];
      const more = typeof details.more === "number" ? details.more : 0;
      throw new SceneRefused({ code: "missing_files", files, more }, err.message);
    }
    if (err.code === "engine_not_cycles") {
      const engine = typeof details.engine === "string" ? details.engine : "another engine";
      throw new SceneRefused({ code: "engine_not_cycles", engine }, err.message);
    }
    throw err;
  }
}

const kindName = (kind: string): string => kind.replace("_", " ");

/** The outside files as a list: path, kind, and whether the .blend carries them. */
export function fileList(files: readonly ExternalFile[], more: number, id: string): HTMLElement {
  return h(
    "ul",
    { id, class: "file-list" },
    files.map((f) =>
      h(
        "li",
        { "data-packed": String(f.packed) },
        h("code", { class: "mono" }, f.path || f.name),
        ` (${kindName(f.kind)}${f.path && f.name !== f.path ? `, “${f.name}”` : ""})`,
        f.packed ? " — packed" : " — missing",
      ),
    ),
    more > 0 ? h("li", { class: "muted" }, `and ${more} more`) : null,
  );
}

const PACK_HINT =
  "In Blender: File > External Data > Pack Resources (and Object > Relations > Make Local for " +
  "linked libraries), save, then upload the .blend again. The Blender add-on packs a copy for you.";

type Button = [label: string, action: () => void];

function question(id: string, lines: (HTMLElement | string)[], buttons: Button[]): HTMLElement {
  return h(
    "section",
    { id, class: "notice info scene-question", "aria-labelledby": `${id}-title` },
    lines,
    h(
      "div",
      { class: "actions" },
      buttons.map(([label, action]) => h("button", { type: "button", onclick: action }, label)),
    ),
  );
}

/** Asks what to do with a scene the server refused: `retry` uploads the same file again with
 * the refusal waived, `cancel` gives up on it (and says how to fix the scene). */
export function refusalQuestion(
  filename: string,
  refused: SceneRefused,
  retry: (waive: Partial<Waivers>) => void,
  cancel: (hint: string) => void,
): HTMLElement {
  const reason = refused.reason;
  if (reason.code === "engine_not_cycles") {
    const name = engineName(reason.engine);
    return question(
      "engine-check",
      [
        h(
          "p",
          { id: "engine-check-title" },
          h("strong", {}, `${filename} is set to render with ${name}.`),
          " The farm's workers render with Cycles only.",
        ),
        h(
          "p",
          {},
          `Rendered with Cycles instead, its lights, materials and effects look different from ${name}'s. ` +
            "To keep what you see in Blender, switch the scene to Cycles (Render properties > Render Engine), check it there, and upload it again.",
        ),
      ],
      [
        ["Render with Cycles instead", () => retry({ cyclesInstead: true })],
        [
          "Cancel",
          () =>
            cancel(
              `${filename} was not uploaded. Switch it to Cycles in Blender (Render properties > Render Engine), save, then upload it again.`,
            ),
        ],
      ],
    );
  }
  const count = reason.files.length + reason.more;
  return question(
    "missing-files-check",
    [
      h(
        "p",
        { id: "missing-files-check-title" },
        h(
          "strong",
          {},
          `${filename} names ${reason.more ? "at least " : ""}${count} file${count === 1 ? "" : "s"} it does not carry.`,
        ),
        " Workers receive only the .blend: they would render without ",
        count === 1 ? "it" : "them",
        " (a missing texture renders pink or black).",
      ),
      fileList(reason.files, reason.more, "missing-files"),
      h("p", { class: "muted" }, PACK_HINT),
    ],
    [
      ["Upload without them", () => retry({ allowMissing: true })],
      ["Cancel", () => cancel(`${filename} was not uploaded. ${PACK_HINT}`)],
    ],
  );
}

/** The facts box's line on outside files: how many, how many are packed, and the list. */
export function outsideFilesFact(info: SceneInfo): (HTMLElement | string)[] {
  const files = info.external_files;
  const more = info.external_files_more;
  if (files.length === 0 && more === 0) return ["none: everything is inside the .blend"];
  const missing = files.filter((f) => !f.packed).length;
  const total = files.length + more;
  const summary =
    `${total} file${total === 1 ? "" : "s"}: ${files.length - missing} packed` +
    (missing ? `, ${missing} missing (rendered without ${missing === 1 ? "it" : "them"})` : "") +
    (more ? `, ${more} not listed` : "");
  return [summary, fileList(files, 0, "outside-files")];
}
