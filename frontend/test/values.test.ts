// Values as the page reads and writes them: frame lists, exact wei, ETH amounts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { missingTilesNote, parseFrames } from "../src/frames";
import { parseJson, wei } from "../src/json";
import { eth, short } from "../src/format";

test("frames as people type them, sorted and without repeats", () => {
  assert.deepEqual(parseFrames("1"), [1]);
  assert.deepEqual(parseFrames("3-5, 1 ,4"), [1, 3, 4, 5]);
  assert.deepEqual(parseFrames("10..12"), [10, 11, 12]);
});

test("frame lists that make no sense say why", () => {
  assert.throws(() => parseFrames(""), /at least one frame/);
  assert.throws(() => parseFrames("5-3"), /runs backwards/);
  assert.throws(() => parseFrames("one"), /not a frame number/);
});

test("wei amounts past 2^53 stay exact, small numbers stay numbers", () => {
  const text =
    '{"a": [9007199254740993, -12345678901234567890, 1.5e300], "s": "x\\"123456789012345678"}';
  const parsed = parseJson(text) as { a: unknown[]; s: string };
  assert.deepEqual(parsed.a, [9007199254740993n, -12345678901234567890n, 1.5e300]);
  assert.equal(parsed.s, 'x"123456789012345678'); // digits inside a string stay text
  assert.equal(parseJson("9007199254740991"), 9007199254740991); // the largest safe one
  const body = parseJson('{"deposit": 123456789012345678901, "tiles": 8, "fee": "42"}') as {
    deposit: unknown;
    tiles: unknown;
    fee: unknown;
  };
  assert.equal(body.deposit, 123456789012345678901n);
  assert.equal(body.tiles, 8);
  assert.equal(wei(body.fee), 42n);
  assert.equal(wei("not a number"), 0n);
});

test("ETH amounts are short but never round a small amount to zero", () => {
  assert.equal(eth("8088000000000000"), "0.008088 ETH");
  assert.equal(eth(10n ** 19n), "10 ETH");
  assert.equal(eth("15482880000"), "0.0000000154 ETH");
  assert.equal(eth(0), "0 ETH");
  assert.equal(short("0x90F79bf6EB2c4f870365E785982E1f101E93b906"), "0x90F7…b906");
});

test("a frame assembled without some tiles says how many and which", () => {
  assert.equal(missingTilesNote([]), "");
  assert.equal(
    missingTilesNote([3, 5]),
    "2 tiles missing: the job ended without them (transparent in the frame: tiles 3, 5 of its grid).",
  );
  assert.match(missingTilesNote([0]), /^1 tile missing: the job ended without it /);
});
