// What a frame shows before it is verified: the preview the server stitches from the tiles its
// workers revealed (readable on IPFS, most not verified yet), which the verified frame replaces
// once every tile of it is accepted.
import type { Frame } from "./types";

/** A frame's preview (`FramePreview`): only while the frame is not assembled and some of its
 * tiles were revealed. */
export type FramePreview = NonNullable<Frame["preview"]>;
type Counts = Pick<FramePreview, "tiles_shown" | "tiles_total" | "tiles_verified">;

/** What a frame shows now: the verified frame, a preview of its revealed tiles, or nothing yet. */
export type FrameShown = "assembled" | "preview" | "waiting";

export function frameShown(f: Pick<Frame, "status" | "preview">): FrameShown {
  if (f.status === "assembled") return "assembled";
  return f.preview && f.preview.tiles_shown > 0 ? "preview" : "waiting";
}

/** How many of the tiles shown no verdict has accepted yet, in words. */
function unverifiedWords(p: Counts): string {
  const unverified = p.tiles_shown - p.tiles_verified;
  if (p.tiles_verified <= 0) return "not verified yet";
  return unverified > 0 ? `${unverified} not verified yet` : "verified so far";
}

/** The badge's words, read by screen readers as they are: "Preview: 3 of 4 tiles, not verified
 * yet"; once a verdict accepted some of them, how many are still unverified. */
export function previewBadge(p: Counts): string {
  const of = p.tiles_total === 1 ? "tile" : "tiles";
  return `Preview: ${p.tiles_shown} of ${p.tiles_total} ${of}, ${unverifiedWords(p)}`;
}

/** The image's text alternative: what it is, and that it is not the verified frame. */
export function previewAlt(frame: number, p: Counts, width: number, height: number): string {
  const missing = p.tiles_total - p.tiles_shown;
  return (
    `Frame ${frame}, a preview of the ${p.tiles_shown} of ${p.tiles_total} tiles revealed so ` +
    `far, ${unverifiedWords(p)}${missing > 0 ? `; ${missing} not revealed yet, transparent` : ""} ` +
    `(${width}×${height})`
  );
}

/** The preview's address, changed whenever the server stitches it anew (more tiles revealed):
 * with the same address the browser would keep showing the picture it already has. */
export function previewSrc(p: Pick<FramePreview, "png_url" | "updated_at">): string {
  const join = p.png_url.includes("?") ? "&" : "?";
  return `${p.png_url}${join}v=${encodeURIComponent(p.updated_at)}`;
}
