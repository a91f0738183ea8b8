// What the job page says of a job's film, and when it reads it again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { filmCaption, filmEncoding, filmFileName, filmPendingText, filmShown } from "../src/film";

const waiting = { frames: 3, frames_assembled: 1, error: null };
const encoding = { frames: 3, frames_assembled: 3, error: null };

test("a job of one frame has no film to show", () => {
  assert.equal(filmShown({ status: "none" }), false);
  for (const status of ["pending", "ready", "failed"] as const)
    assert.equal(filmShown({ status }), true);
});

test("the film is read again only while it is being encoded, once every frame is assembled", () => {
  assert.equal(filmEncoding({ status: "pending", ...waiting }, false), false);
  assert.equal(filmEncoding({ status: "pending", ...encoding }, false), true);
  // The frames the page read may be ahead of the film's count.
  assert.equal(filmEncoding({ status: "pending", ...waiting }, true), true);
  assert.equal(filmEncoding({ status: "ready", ...encoding }, true), false);
  assert.equal(filmEncoding({ status: "failed", ...encoding }, true), false);
});

test("a pending film says it waits for every frame, then that it is being encoded", () => {
  assert.equal(
    filmPendingText(waiting, false),
    "The film is encoded once every frame is assembled: an H.264 MP4, and a ZIP of every " +
      "frame's PNG and EXR (1 of 3 frames assembled so far).",
  );
  assert.match(filmPendingText(encoding, false), /^Every frame is assembled: the film is being/);
});

test("a try that failed and is tried again says why", () => {
  assert.match(
    filmPendingText({ ...encoding, error: "IPFS is unavailable" }, true),
    /The last try failed \(IPFS is unavailable\); it is tried again\.$/,
  );
});

test("the film's caption and file names", () => {
  assert.equal(filmCaption({ frames: 2, fps: 24 }), "2 frames at 24 fps, H.264 MP4");
  assert.equal(
    filmCaption({ frames: 240, fps: 24000 / 1001 }),
    "240 frames at 23.976 fps, H.264 MP4",
  );
  assert.equal(filmFileName(7, "mp4"), "job-7-film.mp4");
  assert.equal(filmFileName(7, "zip"), "job-7-film.zip");
});
