// A job of several frames ends as a film: the server encodes an H.264 MP4 and a ZIP of every
// frame's PNG and EXR once every frame is assembled, and stores both on IPFS. What the page says
// of it, and when it reads it again.
import type { Film } from "./types";

export type { Film };
type Counts = Pick<Film, "frames" | "frames_assembled">;

/** Whether the job has a film to show or wait for ("none": a job of one frame, or one that
 * ended without rendering any). */
export function filmShown(film: Pick<Film, "status">): boolean {
  return film.status !== "none";
}

/** Whether every frame is assembled, by the film's count or by the frames the page read. */
function allAssembled(film: Counts, framesDone: boolean): boolean {
  return framesDone || film.frames_assembled >= film.frames;
}

/** Whether to read the film again soon: it is being encoded (every frame is assembled and the
 * film is still pending). Before that, a frame assembling is what makes it worth reading. */
export function filmEncoding(film: Pick<Film, "status"> & Counts, framesDone: boolean): boolean {
  return film.status === "pending" && allAssembled(film, framesDone);
}

/** What the page says while the film is pending, and of a try that failed (it is tried again). */
export function filmPendingText(film: Pick<Film, "error"> & Counts, framesDone: boolean): string {
  const retry = film.error ? ` The last try failed (${film.error}); it is tried again.` : "";
  if (allAssembled(film, framesDone)) {
    return `Every frame is assembled: the film is being encoded (an H.264 MP4, and a ZIP of the frames)…${retry}`;
  }
  return (
    "The film is encoded once every frame is assembled: an H.264 MP4, and a ZIP of every " +
    `frame's PNG and EXR (${film.frames_assembled} of ${film.frames} frames assembled so far).`
  );
}

/** "2 frames at 24 fps, H.264 MP4". */
export function filmCaption(film: Pick<Film, "frames" | "fps">): string {
  const n = film.frames;
  const fps = Number(film.fps.toFixed(3)); // 23.976, not 23.976023976023978
  return `${n} frame${n === 1 ? "" : "s"} at ${fps} fps, H.264 MP4`;
}

/** The name a download is saved under, as the server names it: `job-7-film.mp4`,
 * `job-7-film.zip`. */
export function filmFileName(jobId: number, kind: "mp4" | "zip"): string {
  return `job-${jobId}-film.${kind}`;
}
