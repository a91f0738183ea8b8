// Numbers, addresses and links as people read them.
import { formatEther } from "viem";
import { wei } from "./json";
import type { PageConfig } from "./types";
import { h } from "./dom";

/** Wei as ETH with up to 6 significant decimals, e.g. "0.008064 ETH". */
export function eth(value: unknown): string {
  const text = formatEther(wei(value));
  const [whole, frac = ""] = text.split(".");
  const trimmed = frac.replace(/0+$/, "");
  if (!trimmed) return `${whole} ETH`;
  const firstDigit = trimmed.search(/[1-9]/);
  const keep = Math.max(6, firstDigit + 3);
  return `${whole}.${trimmed.slice(0, keep).replace(/0+$/, "") || "0"} ETH`;
}

export function short(value: string, head = 6, tail = 4): string {
  return value.length <= head + tail + 1 ? value : `${value.slice(0, head)}…${value.slice(-tail)}`;
}

export function seconds(total: number): string {
  if (total < 120) return `${total} s`;
  if (total < 7200) return `${Math.round(total / 60)} min`;
  return `${(total / 3600).toFixed(1)} h`;
}

export function when(unix: number): string {
  return new Date(unix * 1000).toLocaleString();
}

/** A transaction hash, linked to the explorer when the server names one. */
export function txLink(config: PageConfig, hash: string): HTMLElement {
  const label = short(hash, 10, 6);
  if (config.explorer_tx_url) {
    const href = config.explorer_tx_url.replace("{tx}", hash);
    return h("a", { href, target: "_blank", rel: "noopener", class: "mono", title: hash }, label);
  }
  return h("code", { class: "mono", title: hash }, label);
}

/** A CID, linked to the gateway when the server names one. */
export function cidLink(config: PageConfig, cid: string): HTMLElement {
  const label = short(cid, 10, 6);
  if (config.ipfs_gateway_url) {
    const href = `${config.ipfs_gateway_url.replace(/\/$/, "")}/ipfs/${cid}`;
    return h("a", { href, target: "_blank", rel: "noopener", class: "mono", title: cid }, label);
  }
  return h("code", { class: "mono", title: cid }, label);
}

/** Unix seconds as a `datetime-local` input's value ("2026-05-04T18:30"), in local time, to the
 * minute (rounded up, so that it is never before `unix`). */
export function dateTimeInput(unix: number): string {
  const d = new Date(Math.ceil(unix / 60) * 60 * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}` +
    `T${two(d.getHours())}:${two(d.getMinutes())}`
  );
}

/** A `datetime-local` input's value (local time) as unix seconds; NaN when it is not one. */
export function fromDateTimeInput(text: string): number {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(text.trim())) return Number.NaN;
  return Math.floor(new Date(text.trim()).getTime() / 1000);
}
