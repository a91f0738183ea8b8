// JSON with exact integers: the server sends event arguments (wei amounts) as JSON numbers, which
// a plain JSON.parse would round past 2^53. Integers that large are quoted with a marker before
// parsing and come back as BigInt; every other value parses as usual.

const MARK = "\u0000bigint:"; // a string no API value starts with
const MARK_IN_JSON = "\\u0000bigint:"; // the same, escaped inside the JSON text
const NUMBER_CHAR = /[0-9.eE+-]/;

function quoteLargeIntegers(text: string): string {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      let j = i + 1;
      while (j < text.length && NUMBER_CHAR.test(text[j])) j++;
      const token = text.slice(i, j);
      const large = /^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token));
      out.push(large ? `"${MARK_IN_JSON}${token}"` : token);
      i = j;
    } else {
      out.push(c);
      i += 1;
    }
  }
  return out.join("");
}

export function parseJson(text: string): unknown {
  return JSON.parse(quoteLargeIntegers(text), (_key, value: unknown) =>
    typeof value === "string" && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value,
  );
}

/** A wei amount from the API (a decimal string, a number or a bigint) as a bigint. */
export function wei(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return BigInt(Math.trunc(value));
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  return 0n;
}
