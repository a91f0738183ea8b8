// JSON with exact integers: the server sends event arguments (wei amounts) as JSON numbers, which
// a plain JSON.parse would round past 2^53. Chromium hands revivers the number's source text.

type Context = { source?: string };

function reviver(this: unknown, _key: string, value: unknown, context?: Context): unknown {
  if (typeof value === "number" && !Number.isSafeInteger(value) && Number.isInteger(value)) {
    if (context?.source !== undefined && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
  }
  return value;
}

export function parseJson(text: string): unknown {
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/** A wei amount from the API (a decimal string, a number or a bigint) as a bigint. */
export function wei(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return BigInt(Math.trunc(value));
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  return 0n;
}
