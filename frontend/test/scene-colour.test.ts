// The scene's look prefilled into a job: what a manifest can carry is kept, and each value it
// cannot carry is named and replaced (Standard for a view transform), never silently.
import assert from "node:assert/strict";
import { test } from "node:test";
import { manifestColour } from "../src/pages/scene-colour";

const AGX = {
  view_transform: "AgX",
  look: "AgX - Punchy",
  exposure: 0.5,
  gamma: 1.2,
  display_device: "sRGB",
  dither_intensity: 1,
};

test("a scene's AgX look is kept as saved", () => {
  const { values, notices } = manifestColour(AGX);
  assert.deepEqual(notices, []);
  assert.equal(values.view_transform, "AgX");
  assert.equal(values.look, "AgX - Punchy");
  assert.equal(values.exposure, 0.5);
  assert.equal(values.gamma, 1.2);
  assert.equal(values.display_device, "sRGB");
  assert.equal(values.dither_intensity, 1);
});

test("a view transform the manifest cannot carry falls back to Standard, saying so", () => {
  const { values, notices } = manifestColour({ ...AGX, view_transform: "Studio Grade" });
  assert.equal(values.view_transform, "Standard");
  assert.equal(values.look, "None");
  assert.equal(notices.length, 1);
  assert.match(notices[0]!, /view transform “Studio Grade”.*uses Standard/);
});

test("a look of another view transform is dropped, saying so", () => {
  const { values, notices } = manifestColour({ ...AGX, view_transform: "Filmic" });
  assert.equal(values.view_transform, "Filmic");
  assert.equal(values.look, "None");
  assert.match(notices.join(" "), /look “AgX - Punchy”/);
});

test("an unknown display device or an exposure out of range is named and replaced", () => {
  const { values, notices } = manifestColour({ ...AGX, display_device: "Cinema X", exposure: 99 });
  assert.equal(values.display_device, "sRGB");
  assert.equal(values.exposure, 0);
  assert.match(notices.join(" "), /display device “Cinema X”/);
  assert.match(notices.join(" "), /exposure 99 is outside -32 to 32/);
});

test("a scene read without colour management is saved through Standard, saying so", () => {
  const { values, notices } = manifestColour(null);
  assert.equal(values.view_transform, "Standard");
  assert.match(notices[0]!, /no colour management/);
});
