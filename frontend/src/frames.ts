// Frame lists as people type them: "1", "1-240", "1-240x2" (every 2nd frame), "1..24", and lists
// of those ("1,5,9-12x3"); and what a frame says of its missing tiles. The grammar and its
// messages are tilefarm/frames.py's (the CLI's `--frames`): tests/core/frames_cases.json holds the
// cases both tests read.

/** Blender's last frame (`tilefarm.manifest.MAX_FRAME`). */
export const MAX_FRAME = 1_048_574;
/** The most frames a manifest holds. */
export const MAX_FRAMES = 100_000;

const SINGLE = /^([0-9]+)$/;
const RANGE = /^([0-9]+)\s*(?:-|\.\.)\s*([0-9]+)(?:\s*[xX]\s*([0-9]+))?$/;
const STEP_WITHOUT_RANGE = /^[0-9]+\s*[xX]\s*[0-9]+$/;
const EXAMPLES = "e.g. 1, 1-24 or 1-240x2";

/** A frame list this grammar does not read; the message says which part and why. */
export class FramesError extends Error {
  override name = "FramesError";
}

/** `digits` as a number, any beyond 10^9 as 10^9 (no frame or useful step is that large). */
function number(digits: string): number {
  const significant = digits.replace(/^0+/, "") || "0";
  return significant.length <= 9 ? Number(significant) : 1e9;
}

function frame(part: string, digits: string): number {
  const value = number(digits);
  if (value > MAX_FRAME) {
    throw new FramesError(
      `"${part}" goes past frame ${MAX_FRAME.toLocaleString("en-US")}, the last one Blender renders`,
    );
  }
  return value;
}

/** The frames one comma-separated part names: [first, last, step]. */
function run(part: string): [number, number, number] {
  if (SINGLE.test(part)) {
    const value = frame(part, part);
    return [value, value, 1];
  }
  const match = RANGE.exec(part);
  if (!match) {
    if (STEP_WITHOUT_RANGE.test(part))
      throw new FramesError(`"${part}" has a step but no range; write it like 1-240x2`);
    throw new FramesError(
      `"${part}" is not a frame number, a range like 1-24 or a stepped one like 1-240x2`,
    );
  }
  const first = frame(part, match[1]!);
  const last = frame(part, match[2]!);
  const step = match[3] === undefined ? 1 : number(match[3]);
  if (last < first) throw new FramesError(`"${part}" runs backwards; write the first frame first`);
  if (step < 1) throw new FramesError(`"${part}" steps by 0; a step is 1 or more`);
  return [first, last, step];
}

function tooMany(what: string): string {
  const shown = what.length <= 40 ? what : `${what.slice(0, 37)}...`;
  return (
    `"${shown}" is more than ${MAX_FRAMES.toLocaleString("en-US")} frames, the most a job ` +
    "renders (use a step, e.g. 1-240x2, or split the job)"
  );
}

/** The frames `text` names, sorted and without repeats; throws `FramesError` saying which part
 * is wrong, or that the list names no frame or more than a job renders. */
export function parseFrames(text: string): number[] {
  const frames = new Set<number>();
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (!part) continue;
    const [first, last, step] = run(part);
    // Counted before expanding: a typo like 1-1000000 must not fill a set first.
    if (Math.floor((last - first) / step) + 1 > MAX_FRAMES) throw new FramesError(tooMany(part));
    for (let f = first; f <= last; f += step) frames.add(f);
    if (frames.size > MAX_FRAMES) throw new FramesError(tooMany(text.trim()));
  }
  if (frames.size === 0) throw new FramesError(`name at least one frame, ${EXAMPLES}`);
  return [...frames].sort((a, b) => a - b);
}

/** A scene's frame range as the grammar writes it: "1", "1-250", "1-250x2" (Blender's Frame
 * Start, End and Step; a step below 1 counts as 1, as Blender renders it). */
export function sceneFrames(start: number, end: number, step = 1): string {
  const range = end > start ? `${start}-${end}` : String(start);
  return step > 1 && end > start ? `${range}x${step}` : range;
}

/** values[i..j] (an arithmetic run) as text. */
function runText(values: readonly number[], i: number, j: number): string {
  if (i === j) return String(values[i]);
  const step = values[i + 1]! - values[i]!;
  return step === 1 ? `${values[i]}-${values[j]}` : `${values[i]}-${values[j]}x${step}`;
}

/** The shortest text `parseFrames` reads back as `frames` (sorted, repeats dropped), as
 * comma-separated runs of one step each ("1-240x2", "1-3,7"); ties: fewer runs, then the longer
 * first run. */
export function formatFrames(frames: Iterable<number>): string {
  const values = [...new Set(frames)].sort((a, b) => a - b);
  const n = values.length;
  if (n === 0) throw new FramesError(`name at least one frame, ${EXAMPLES}`);
  if (!values.every(Number.isInteger) || values[0]! < 0 || values[n - 1]! > MAX_FRAME) {
    throw new FramesError(
      `frames lie in 0..${MAX_FRAME.toLocaleString("en-US")}; got ${values[0]}..${values[n - 1]}`,
    );
  }
  // runEnd[i]: the last index of the longest run from i whose step is values[i+1]-values[i].
  const runEnd = values.map((_, i) => i);
  for (let i = n - 2; i >= 0; i--) {
    const follows = i + 2 < n && values[i + 2]! - values[i + 1]! === values[i + 1]! - values[i]!;
    runEnd[i] = follows ? runEnd[i + 1]! : i + 1;
  }
  // best[i]: [characters, runs, where the first run ends] of the shortest writing of values[i:].
  // A run from i stops at i, takes its whole longest run, or leaves that run's last frame to the
  // next run; cutting it shorter only moves frames into a run of the same step.
  const best: [number, number, number][] = new Array(n + 1).fill([-1, 0, n]);
  for (let i = n - 1; i >= 0; i--) {
    let chosen: [number, number, number] | null = null;
    for (const j of new Set([i, runEnd[i]!, runEnd[i]! - 1])) {
      if (j < i) continue;
      const rest = best[j + 1]!;
      const option: [number, number, number] = [
        runText(values, i, j).length + rest[0] + 1,
        rest[1] + 1,
        j,
      ];
      if (
        !chosen ||
        option[0] < chosen[0] ||
        (option[0] === chosen[0] &&
          (option[1] < chosen[1] || (option[1] === chosen[1] && j > chosen[2])))
      )
        chosen = option;
    }
    best[i] = chosen!;
  }
  const runs: string[] = [];
  for (let i = 0; i < n; i = best[i]![2] + 1) runs.push(runText(values, i, best[i]![2]));
  return runs.join(",");
}

/** What an assembled frame says of the tiles no round delivered before its job ended (empty when
 * none are missing), e.g. "2 tiles missing: the job ended without them". */
export function missingTilesNote(missing: readonly number[]): string {
  if (missing.length === 0) return "";
  const one = missing.length === 1;
  return (
    `${missing.length} tile${one ? "" : "s"} missing: the job ended without ${one ? "it" : "them"} ` +
    `(transparent in the frame: tile${one ? "" : "s"} ${missing.join(", ")} of its grid).`
  );
}
