// Categories in aw-webui's `classes` format: {id, name: [path], rule: {type, regex, ignore_case}, data: {color, score}}.

let defaults = null;

/**
 * What a new user starts with (the tree aw-webui offers, with productivity scores). The list lives in
 * default-categories.json because the server's productivity reports use the same defaults.
 */
export async function defaultCategories() {
  if (!defaults) {
    const asked = fetch("/default-categories.json").then(async (response) => {
      if (!response.ok) throw new Error(`Could not load the default categories (HTTP ${response.status})`);
      return (await response.json()).map((c, i) => ({ id: i, ...c }));
    });
    asked.catch(() => defaults === asked && (defaults = null)); // asked again next time
    defaults = asked;
  }
  return structuredClone(await defaults);
}

export const UNCATEGORIZED = "Uncategorized";
const UNCATEGORIZED_COLOR = "#b8bcc2";
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

export const pathKey = (name) => name.join(" > ");

/** The `categorize(events, [...])` argument: only categories with a usable regex rule (aw-webui's classes_for_query). */
export function rulesForQuery(classes) {
  return classes
    .filter((c) => c.rule && c.rule.type === "regex" && c.rule.regex)
    .map((c) => [c.name, { type: "regex", regex: c.rule.regex, ignore_case: Boolean(c.rule.ignore_case) }]);
}

/** Lookups by category path: colour and score, inherited from the nearest ancestor that has one. */
export class CategoryIndex {
  constructor(classes) {
    this.byKey = new Map(classes.map((c) => [pathKey(c.name), c]));
    this.topLevel = [...new Set(classes.map((c) => c.name[0]))];
  }

  inherited(name, field) {
    for (let n = name.length; n > 0; n--) {
      const c = this.byKey.get(pathKey(name.slice(0, n)));
      if (c && c.data && c.data[field] !== undefined && c.data[field] !== null && c.data[field] !== "") return c.data[field];
    }
    return undefined;
  }

  color(name) {
    if (!name || name[0] === UNCATEGORIZED) return this.inherited([UNCATEGORIZED], "color") || UNCATEGORIZED_COLOR;
    const own = this.inherited(name, "color");
    if (own) return own;
    const i = this.topLevel.indexOf(name[0]);
    return PALETTE[(i < 0 ? name[0].length : i) % PALETTE.length];
  }

  score(name) {
    const s = Number(this.inherited(name || [], "score"));
    return Number.isFinite(s) ? s : 0;
  }
}
