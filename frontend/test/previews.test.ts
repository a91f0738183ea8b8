// What a frame shows before it is verified: the preview of its revealed tiles, marked in words.
import assert from "node:assert/strict";
import { test } from "node:test";
import { frameShown, previewAlt, previewBadge, previewSrc } from "../src/previews";

const preview = {
  png_url: "/api/jobs/7/frames/1/preview.png",
  tiles_shown: 3,
  tiles_total: 4,
  tiles_verified: 0,
  unverified_tiles: [0, 1, 2],
  updated_at: "2026-05-04T18:30:00.123456Z",
};

test("a frame shows its preview until it is assembled, then the verified frame", () => {
  assert.equal(frameShown({ status: "pending", preview: null }), "waiting");
  assert.equal(frameShown({ status: "pending", preview }), "preview");
  assert.equal(frameShown({ status: "assembled", preview }), "assembled");
  assert.equal(frameShown({ status: "assembled", preview: null }), "assembled");
});

test("a preview with no tile revealed shows nothing yet", () => {
  const none = { ...preview, tiles_shown: 0, unverified_tiles: [] };
  assert.equal(frameShown({ status: "pending", preview: none }), "waiting");
});

test("the badge says in words how many tiles are shown and that they are not verified", () => {
  assert.equal(previewBadge(preview), "Preview: 3 of 4 tiles, not verified yet");
  assert.equal(
    previewBadge({ tiles_shown: 1, tiles_total: 1, tiles_verified: 0 }),
    "Preview: 1 of 1 tile, not verified yet",
  );
});

test("once a verdict accepted some of the tiles shown, the badge counts those still unverified", () => {
  assert.equal(
    previewBadge({ ...preview, tiles_verified: 2 }),
    "Preview: 3 of 4 tiles, 1 not verified yet",
  );
  assert.equal(
    previewBadge({ tiles_shown: 1, tiles_total: 2, tiles_verified: 1 }),
    "Preview: 1 of 2 tiles, verified so far",
  );
});

test("the image's text alternative says which tiles are missing and transparent", () => {
  assert.equal(
    previewAlt(1, preview, 32, 24),
    "Frame 1, a preview of the 3 of 4 tiles revealed so far, not verified yet; 1 not revealed " +
      "yet, transparent (32×24)",
  );
  assert.equal(
    previewAlt(2, { ...preview, tiles_shown: 4, tiles_verified: 1 }, 32, 24),
    "Frame 2, a preview of the 4 of 4 tiles revealed so far, 3 not verified yet (32×24)",
  );
});

test("the preview's address changes when the server stitches it anew, so the browser reloads it", () => {
  const first = previewSrc(preview);
  assert.equal(first, "/api/jobs/7/frames/1/preview.png?v=2026-05-04T18%3A30%3A00.123456Z");
  assert.notEqual(previewSrc({ ...preview, updated_at: "2026-05-04T18:31:00Z" }), first);
  assert.ok(previewSrc({ ...preview, png_url: "/p.png?a=1" }).startsWith("/p.png?a=1&v="));
});
