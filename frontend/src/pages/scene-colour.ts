// The artist's look: a job's colour management, prefilled from the scene as saved (display
// device, view transform, look, exposure, gamma, dither), so that its PNGs look as Blender shows
// the scene. A value the manifest cannot carry is never replaced silently: the form says which
// and falls back to Standard. The tables of what a manifest accepts are generated from
// tilefarm/colour.py (src/generated/colour.ts).
import { clear, h, notice } from "../dom";
import { PlainError } from "../errors";
import { COLOUR_FIELDS, type ColourField, DISPLAY_VIEWS, VIEW_LOOKS } from "../generated/colour";
import type { ManifestDraft, SceneInfo } from "../types";

export type Colour = NonNullable<ManifestDraft["colour"]>;
type SceneColour = NonNullable<SceneInfo["colour"]>;
type Values = Record<string, string | number | boolean>;

/** The fields the form shows, with their labels; a manifest's other colour fields (working
 * space, white balance) travel as the scene has them when it names them, else as defaults. */
const NUMBERS = [
  ["exposure", "Exposure", "stops, as Blender's Exposure"],
  ["gamma", "Gamma", "as Blender's Gamma (1: none)"],
  ["dither_intensity", "Dither", "noise added before 8-bit rounding, against banding (0: none)"],
] as const;

const defaults = (): Values =>
  Object.fromEntries(
    Object.entries(COLOUR_FIELDS)
      .filter(([, f]) => f.default !== undefined)
      .map(([name, f]) => [name, f.default!]),
  );

/** The range of a number field, in words: "-32 to 32", "0 or more". */
function range(field: ColourField): string {
  const low = field.minimum ?? field.exclusiveMinimum;
  const high = field.maximum ?? field.exclusiveMaximum;
  // A bound past 10^30 is a float's largest value, no limit anyone types against.
  if (high === undefined || high > 1e30) return `${low} or more`;
  return `${low} to ${high}`;
}

/** Why `value` cannot be a manifest's colour field `field`, or null when it can. */
function fieldProblem(field: ColourField, value: unknown): string | null {
  if (field.type === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) return "is not a number";
    const below =
      (field.minimum !== undefined && value < field.minimum) ||
      (field.exclusiveMinimum !== undefined && value <= field.exclusiveMinimum);
    const above =
      (field.maximum !== undefined && value > field.maximum) ||
      (field.exclusiveMaximum !== undefined && value >= field.exclusiveMaximum);
    return below || above ? `is outside ${range(field)}` : null;
  }
  if (field.type === "boolean") return typeof value === "boolean" ? null : "is not yes or no";
  if (typeof value !== "string") return "is not a name";
  if (field.enum && !field.enum.includes(value)) return `is not one of ${field.enum.join(", ")}`;
  return null;
}

const label = (name: string) => name.replace(/_/g, " ");
const shown = (value: unknown) => (typeof value === "string" ? `“${value}”` : String(value));

/** The colour a manifest can carry of `scene` (the colour management read from the .blend), and
 * one sentence for each value it could not carry (replaced by the default, Standard for a view
 * transform). */
export function manifestColour(scene: Partial<SceneColour> | null | undefined): {
  values: Values;
  notices: string[];
} {
  const values = defaults();
  const notices: string[] = [];
  if (!scene) {
    notices.push(
      "The server read no colour management from this scene: its frames are saved through Standard, which may not be how Blender shows it.",
    );
    return { values, notices };
  }
  const saved = scene as unknown as Record<string, unknown>;
  for (const [name, field] of Object.entries(COLOUR_FIELDS)) {
    if (!(name in saved) || saved[name] === null || saved[name] === undefined) continue;
    const problem = fieldProblem(field, saved[name]);
    if (problem) {
      notices.push(
        `The scene's ${label(name)} ${shown(saved[name])} ${problem}, so the job uses ${shown(values[name])}.`,
      );
    } else {
      values[name] = saved[name] as string | number | boolean;
    }
  }
  const display = String(values.display_device);
  const views = DISPLAY_VIEWS[display] ?? [];
  if (!views.includes(String(values.view_transform))) {
    notices.push(
      `The scene's view transform ${shown(values.view_transform)} is not one a manifest can carry on display ${shown(display)} (${views.join(", ")}), so the job uses Standard: its frames will look different from Blender's.`,
    );
    values.view_transform = "Standard";
    values.look = "None";
  }
  const looks = VIEW_LOOKS[String(values.view_transform)] ?? ["None"];
  if (!looks.includes(String(values.look))) {
    notices.push(
      `The scene's look ${shown(values.look)} is not one a manifest can carry with ${shown(values.view_transform)} (${looks.join(", ")}), so the job uses none.`,
    );
    values.look = "None";
  }
  return { values, notices };
}

function select(name: string): HTMLSelectElement {
  return h("select", { id: `f-${name}`, name, "aria-describedby": `f-${name}-hint` });
}

function options(el: HTMLSelectElement, choices: readonly string[], value: string): void {
  const keep = choices.includes(value) ? value : (choices[0] ?? "");
  clear(
    el,
    choices.map((c) => h("option", { value: c, selected: c === keep }, c)),
  );
  el.value = keep;
}

const wrap = (name: string, text: string, hint: string, control: HTMLElement) =>
  h(
    "div",
    { class: "field" },
    h("label", { for: `f-${name}` }, text),
    control,
    h("small", { id: `f-${name}-hint` }, hint),
  );

/** The form's colour fields, prefilled from the scene, with a notice for each value of the
 * scene a manifest cannot carry. Changing the display offers its views, a view its looks. */
export function colourFieldset(info: SceneInfo): HTMLElement[] {
  const { values, notices } = manifestColour(info.colour);
  const display = select("display_device");
  const view = select("view_transform");
  const look = select("look");
  const displays = COLOUR_FIELDS.display_device?.enum ?? Object.keys(DISPLAY_VIEWS);
  options(display, displays, String(values.display_device));
  const showViews = () => {
    options(
      view,
      DISPLAY_VIEWS[display.value] ?? ["Standard"],
      view.value || String(values.view_transform),
    );
    showLooks();
  };
  const showLooks = () =>
    options(look, VIEW_LOOKS[view.value] ?? ["None"], look.value || String(values.look));
  options(view, DISPLAY_VIEWS[display.value] ?? ["Standard"], String(values.view_transform));
  options(look, VIEW_LOOKS[view.value] ?? ["None"], String(values.look));
  display.addEventListener("change", showViews);
  view.addEventListener("change", showLooks);
  // The manifest's other fields, as prefilled: the form does not offer them.
  const others = Object.fromEntries(
    Object.entries(values).filter(
      ([name]) =>
        !["display_device", "view_transform", "look", ...NUMBERS.map(([n]) => n)].includes(name),
    ),
  );
  return [
    // Outside the fieldset's grid of fields: a notice reads across the form.
    h(
      "div",
      { id: "colour-notices", "aria-live": "polite" },
      notices.map((n) => notice("info", n)),
    ),
    h(
      "fieldset",
      { id: "colour" },
      h("legend", {}, "Colour management"),
      wrap("display_device", "Display device", "the screen the PNGs are made for", display),
      wrap(
        "view_transform",
        "View transform",
        "how the PNGs and the film look (the EXRs stay scene-linear)",
        view,
      ),
      wrap("look", "Look", "a contrast or grade of the view transform", look),
      NUMBERS.map(([name, text, hint]) => {
        const field = COLOUR_FIELDS[name];
        return wrap(
          name,
          text,
          hint,
          h("input", {
            id: `f-${name}`,
            name,
            type: "number",
            step: "any",
            min: field?.minimum,
            max: field?.maximum,
            value: String(values[name] ?? field?.default ?? 0),
            required: true,
            "aria-describedby": `f-${name}-hint`,
          }),
        );
      }),
      h("input", { type: "hidden", name: "colour_others", value: JSON.stringify(others) }),
    ),
  ];
}

/** The colour the form holds, checked as the manifest checks it. */
export function readColour(form: HTMLFormElement): Colour {
  const el = (name: string) =>
    form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  const colour: Record<string, unknown> = JSON.parse(el("colour_others")?.value || "{}");
  for (const name of ["display_device", "view_transform", "look"]) colour[name] = el(name)?.value;
  for (const [name, text] of NUMBERS) {
    const raw = el(name)?.value.trim() ?? "";
    const value = raw === "" ? Number.NaN : Number(raw);
    const field = COLOUR_FIELDS[name];
    if (field && fieldProblem(field, value)) {
      throw new PlainError(`${text} must be a number, ${range(field)}.`);
    }
    colour[name] = value;
  }
  return colour as Colour;
}
