// Frame lists as people type them ("1", "1-24", "1,5,9-12"), and what a frame says of its
// missing tiles.

export function parseFrames(text: string): number[] {
  const frames = new Set<number>();
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const range = /^(\d+)\s*(?:-|\.\.)\s*(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new Error(`"${part}" runs backwards; write the first frame first`);
      if (b - a >= 10_000) throw new Error(`"${part}" is more than 10,000 frames`);
      for (let f = a; f <= b; f++) frames.add(f);
    } else if (/^\d+$/.test(part)) {
      frames.add(Number(part));
    } else {
      throw new Error(`"${part}" is not a frame number or a range like 1-24`);
    }
  }
  if (frames.size === 0) throw new Error("name at least one frame, e.g. 1 or 1-24");
  return [...frames].sort((a, b) => a - b);
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
