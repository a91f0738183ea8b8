// The job page's frames: each verified frame with its downloads, a preview of the tiles revealed
// so far (marked unverified) while a frame is not assembled, and, for a job of several frames,
// the film the server encodes once every frame is assembled. Read again on the stream's
// `assembled` and `ResultsRevealed` events and every 2 s until every frame is assembled (the
// stream ends with the job, which may be before the server has stored its frames).
import { api, ApiError } from "../api";
import { clear, h, notice } from "../dom";
import { explain } from "../errors";
import {
  type Film,
  filmCaption,
  filmEncoding,
  filmFileName,
  filmPendingText,
  filmShown,
} from "../film";
import { missingTilesNote } from "../frames";
import { cidLink } from "../format";
import { type FramePreview, frameShown, previewAlt, previewBadge, previewSrc } from "../previews";
import type { Frame, FrameList, PageConfig } from "../types";

const POLL_MS = 2000;

function download(href: string, name: string, id: string, label: string): HTMLElement {
  return h("a", { class: "button", href, download: name, id }, label);
}

function frameFigure(config: PageConfig, jobId: number, f: Frame): HTMLElement {
  const missing = f.missing_tiles ?? [];
  const stem = `job-${jobId}-frame-${String(f.frame).padStart(4, "0")}`;
  return h(
    "figure",
    { class: "frame", "data-frame": f.frame },
    h("img", {
      src: f.png_url,
      alt: missing.length
        ? `Frame ${f.frame}, assembled from its verified tiles, ${missing.length} missing (${f.width}×${f.height})`
        : `Frame ${f.frame}, assembled from every verified tile (${f.width}×${f.height})`,
      width: f.width,
      height: f.height,
      id: `frame-${f.frame}-img`,
    }),
    h(
      "figcaption",
      {},
      `Frame ${f.frame} · ${f.width}×${f.height} · `,
      f.png_cid ? cidLink(config, f.png_cid) : null,
    ),
    missing.length
      ? notice(
          "info",
          h(
            "span",
            { id: `frame-${f.frame}-missing`, "data-tiles": missing.join(",") },
            missingTilesNote(missing),
          ),
        )
      : null,
    h(
      "div",
      { class: "actions" },
      download(f.png_url, `${stem}.png`, `download-png-${f.frame}`, "Download PNG"),
      download(f.exr_url, `${stem}.exr`, `download-exr-${f.frame}`, "Download EXR (linear, float)"),
    ),
  );
}

/** A frame not assembled yet, shown from the tiles its workers revealed: on a checkerboard, where
 * the tiles not revealed yet are transparent, and badged in words, not colour alone. */
function previewFigure(f: Frame, p: FramePreview): HTMLElement {
  const badge = `frame-${f.frame}-preview-badge`;
  return h(
    "figure",
    { class: "frame preview", "data-frame": f.frame, "data-preview": "unverified" },
    h(
      "div",
      { class: "preview-image" },
      h("img", {
        src: previewSrc(p),
        alt: previewAlt(f.frame, p, f.width, f.height),
        width: f.width,
        height: f.height,
        id: `frame-${f.frame}-preview`,
        "aria-describedby": badge,
      }),
      h(
        "p",
        {
          class: "badge unverified",
          id: badge,
          "data-tiles-shown": p.tiles_shown,
          "data-tiles-total": p.tiles_total,
        },
        previewBadge(p),
      ),
    ),
    h(
      "figcaption",
      {},
      `Frame ${f.frame} · ${f.width}×${f.height} · tiles not revealed yet are transparent; ` +
        "the verified frame replaces this preview once every tile of it is accepted.",
    ),
  );
}

export function framesPanel(config: PageConfig, jobId: number, frames: Frame[]): HTMLElement[] {
  return [
    h("h2", { id: "frames-h" }, "Frames"),
    ...frames.map((f) => {
      const shown = frameShown(f);
      if (shown === "assembled") return frameFigure(config, jobId, f);
      if (shown === "preview" && f.preview) return previewFigure(f, f.preview);
      return h(
        "p",
        { class: "muted", "data-frame": f.frame },
        `Frame ${f.frame}: assembled once all its tiles are accepted.`,
      );
    }),
  ];
}

/** The film of a job of several frames: the video and its downloads when ready, what it waits
 * for while pending, why it failed. */
export function filmPanel(
  config: PageConfig,
  jobId: number,
  film: Film,
  framesDone: boolean,
): HTMLElement[] {
  const title = h("h2", { id: "film-h" }, "Film");
  if (film.status === "failed") {
    return [
      title,
      notice(
        "error",
        h("span", { id: "film-error" }, `The film could not be encoded: ${film.error}`),
      ),
    ];
  }
  if (film.status !== "ready" || !film.mp4_url || !film.zip_url) {
    return [
      title,
      h(
        "p",
        { class: "muted", id: "film-status", role: "status" },
        filmPendingText(film, framesDone),
      ),
    ];
  }
  return [
    title,
    h(
      "video",
      {
        id: "film-video",
        src: film.mp4_url,
        controls: true,
        loop: true,
        preload: "metadata",
        "aria-describedby": "film-caption",
      },
      "Your browser cannot play this H.264 MP4: download it below.",
    ),
    h("p", { class: "muted", id: "film-caption" }, filmCaption(film)),
    h(
      "div",
      { class: "actions" },
      download(film.mp4_url, filmFileName(jobId, "mp4"), "download-mp4", "Download MP4"),
      download(
        film.zip_url,
        filmFileName(jobId, "zip"),
        "download-zip",
        "Download ZIP (every frame's PNG and EXR)",
      ),
    ),
    h(
      "dl",
      { class: "facts", id: "film-cids" },
      film.mp4_cid
        ? [h("dt", {}, "MP4"), h("dd", { id: "film-mp4-cid" }, cidLink(config, film.mp4_cid))]
        : null,
      film.zip_cid
        ? [h("dt", {}, "ZIP"), h("dd", { id: "film-zip-cid" }, cidLink(config, film.zip_cid))]
        : null,
    ),
  ];
}

/** The frames and film sections of one job page, read and redrawn as the job goes on. */
export interface FramesView {
  /** Read the frames now (and again every 2 s until every one is assembled). */
  refresh(): void;
  stop(): void;
}

export function followFrames(
  config: PageConfig,
  jobId: number,
  framesBox: HTMLElement,
  filmBox: HTMLElement,
): FramesView {
  const timers = { frames: 0, film: 0 };
  let stopped = false;
  let framesDone = false;
  // What each section shows (its body as read): redrawn only when it changed, so that a preview
  // or a playing video is not replaced by the same picture every poll.
  let framesSeen = "";
  let filmSeen = "";
  // Reads may overlap (a stream event during a poll): only the latest one is drawn.
  let reads = 0;
  let filmReads = 0;

  const readFilm = async () => {
    window.clearTimeout(timers.film);
    const read = ++filmReads;
    let film: Film;
    try {
      film = await api<Film>(`/api/jobs/${jobId}/film`);
    } catch (err) {
      if (read !== filmReads || stopped) return;
      if (err instanceof ApiError && err.status === 404) {
        filmBox.hidden = true; // not indexed yet, or no film to this job: its frames say why
      } else {
        filmBox.hidden = false;
        filmSeen = "";
        clear(filmBox, h("h2", { id: "film-h" }, "Film"), notice("info", explain(err)));
        timers.film = window.setTimeout(() => void readFilm(), POLL_MS * 2);
      }
      return;
    }
    if (read !== filmReads || stopped) return;
    filmBox.hidden = !filmShown(film);
    const seen = JSON.stringify([film, framesDone]);
    if (seen !== filmSeen) {
      filmSeen = seen;
      clear(filmBox, ...filmPanel(config, jobId, film, framesDone));
    }
    if (filmEncoding(film, framesDone))
      timers.film = window.setTimeout(() => void readFilm(), POLL_MS);
  };

  /** Show the frames as read by `read` (unless a later read began); true once every one is
   * assembled. */
  const readFrames = async (read: number): Promise<boolean> => {
    try {
      const { frames, error } = await api<FrameList>(`/api/jobs/${jobId}/frames`);
      const done = frames.every((f) => f.status === "assembled");
      if (read !== reads || stopped) return done;
      const seen = JSON.stringify([frames, error]);
      if (seen !== framesSeen) {
        framesSeen = seen;
        framesDone = done;
        clear(
          framesBox,
          ...framesPanel(config, jobId, frames),
          error ? notice("error", error) : null,
        );
        if (frames.length > 1) void readFilm();
      }
      return done;
    } catch (err) {
      if (read !== reads || stopped) return false;
      const waiting = err instanceof ApiError && err.status === 404;
      framesSeen = "";
      clear(
        framesBox,
        h("h2", { id: "frames-h" }, "Frames"),
        h(
          "p",
          { class: "muted" },
          waiting ? "Each frame appears here once all its tiles are verified." : explain(err),
        ),
      );
      return false;
    }
  };

  // Only the latest read polls again: a stream event during a read starts one read, not a
  // second chain of polls.
  const refresh = () => {
    window.clearTimeout(timers.frames);
    const read = ++reads;
    void readFrames(read).then((done) => {
      if (!done && read === reads && !stopped) timers.frames = window.setTimeout(refresh, POLL_MS);
    });
  };

  filmBox.hidden = true; // until the film is read: a job of one frame has none
  return {
    refresh,
    stop: () => {
      stopped = true;
      window.clearTimeout(timers.frames);
      window.clearTimeout(timers.film);
    },
  };
}
