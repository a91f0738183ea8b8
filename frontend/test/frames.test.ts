// Frame lists as artists type them ("1-240x2", "1..24", "1,5,9-12x3"): the cases of
// tests/core/frames_cases.json, which tilefarm/frames.py's tests read too, so that the page and
// the CLI read every frame list alike.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { FramesError, formatFrames, MAX_FRAME, parseFrames, sceneFrames } from "../src/frames";

interface Cases {
  parses: { text: string; frames?: number[]; first?: number; last?: number; count?: number }[];
  refuses: { text: string; says: string }[];
  formats: { frames: number[]; text: string }[];
}

// `npm test` runs in frontend/; the cases live with the Python tests.
const CASES = JSON.parse(
  readFileSync(resolve(process.cwd(), "..", "tests", "core", "frames_cases.json"), "utf8"),
) as Cases;

test("a frame list names its frames, sorted and once each", () => {
  for (const c of CASES.parses) {
    const frames = parseFrames(c.text);
    if (c.frames) assert.deepEqual(frames, c.frames, c.text);
    else assert.deepEqual([frames[0], frames.at(-1), frames.length], [c.first, c.last, c.count]);
  }
});

test("a step takes every nth frame from the first", () => {
  const odd = Array.from({ length: 120 }, (_, i) => 1 + 2 * i);
  assert.deepEqual(parseFrames("1-240x2"), odd);
  assert.equal(parseFrames("1-100x2").length, 50);
});

test("a frame list that makes no sense says what is wrong", () => {
  for (const c of CASES.refuses) {
    assert.throws(
      () => parseFrames(c.text),
      (e: unknown) => e instanceof FramesError && e.message.includes(c.says),
      c.text,
    );
  }
});

test("numbers with thousands of digits are read, not choked on", () => {
  assert.deepEqual(parseFrames("0".repeat(5000) + "3-5x" + "9".repeat(5000)), [3]);
  assert.throws(() => parseFrames("1-2" + "0".repeat(5000)), /goes past frame 1,048,574/);
});

test("frames are written back in their shortest form", () => {
  for (const c of CASES.formats) assert.equal(formatFrames(c.frames), c.text);
  assert.equal(formatFrames(Array.from({ length: 120 }, (_, i) => 1 + 2 * i)), "1-239x2");
});

test("written frames read back as the same frames", () => {
  let seed = 21;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 300; round++) {
    const start = [0, 1, 1000, MAX_FRAME - 60][Math.floor(random() * 4)]!;
    const frames = [
      ...new Set(
        Array.from(
          { length: 1 + Math.floor(random() * 30) },
          () => start + Math.floor(random() * 60),
        ),
      ),
    ].sort((a, b) => a - b);
    assert.deepEqual(parseFrames(formatFrames(frames)), frames);
  }
});

test("frames that cannot be written say why", () => {
  assert.throws(() => formatFrames([]), /name at least one frame/);
  assert.throws(() => formatFrames([-1, 2]), /frames lie in 0\.\./);
});

test("a scene's frame range is prefilled as start-end, with its step", () => {
  assert.equal(sceneFrames(1, 1), "1");
  assert.equal(sceneFrames(1, 250), "1-250");
  assert.equal(sceneFrames(1, 240, 2), "1-240x2");
  assert.equal(sceneFrames(5, 5, 3), "5");
  assert.equal(sceneFrames(1, 9, 0), "1-9");
  assert.deepEqual(parseFrames(sceneFrames(1, 9, 2)), [1, 3, 5, 7, 9]);
});
