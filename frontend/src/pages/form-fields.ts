// The job form's building blocks: labelled inputs, choices and ticks with their hints, and how a
// whole number or an amount of ETH is read back from them with a sentence when it is not one.
import { parseEther } from "viem";
import { h } from "../dom";
import { PlainError } from "../errors";

export interface Field {
  name: string;
  label: string;
  hint?: string;
  value: string;
  type?: string;
  min?: number;
  max?: number;
  step?: string;
  inputmode?: string;
}

export function field(f: Field): HTMLElement {
  const id = `f-${f.name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, f.label),
    h("input", {
      id,
      name: f.name,
      value: f.value,
      type: f.type ?? "text",
      min: f.min,
      max: f.max,
      step: f.step,
      inputmode: f.inputmode,
      required: true,
      "aria-describedby": f.hint ? `${id}-hint` : null,
    }),
    f.hint ? h("small", { id: `${id}-hint` }, f.hint) : null,
  );
}

/** A choice among `options` ([value, label]), with a hint. */
export function choice(
  name: string,
  label: string,
  options: readonly (readonly [string, string])[],
  hint: string,
): HTMLElement {
  const id = `f-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h(
      "select",
      { id, name, "aria-describedby": `${id}-hint` },
      options.map(([value, text]) => h("option", { value }, text)),
    ),
    h("small", { id: `${id}-hint` }, hint),
  );
}

/** A box to tick, with a hint. */
export function tick(name: string, label: string, checked: boolean, hint: string): HTMLElement {
  const id = `f-${name}`;
  return h(
    "div",
    { class: "field tick" },
    h(
      "label",
      { for: id },
      h("input", { id, name, type: "checkbox", checked, "aria-describedby": `${id}-hint` }),
      ` ${label}`,
    ),
    h("small", { id: `${id}-hint` }, hint),
  );
}

export const num = (form: HTMLFormElement, name: string): number => {
  const el = form.elements.namedItem(name) as HTMLInputElement;
  const value = Number(el.value);
  if (!el.value.trim() || !Number.isInteger(value) || value < 0) {
    throw new PlainError(`${el.labels?.[0]?.textContent ?? name} must be a whole number.`);
  }
  return value;
};

export const ether = (form: HTMLFormElement, name: string): bigint => {
  const el = form.elements.namedItem(name) as HTMLInputElement;
  try {
    const value = parseEther(el.value.trim() as `${number}`);
    if (value < 0n) throw new Error();
    return value;
  } catch {
    throw new PlainError(
      `${el.labels?.[0]?.textContent ?? name} must be an amount of ETH like 0.001.`,
    );
  }
};
