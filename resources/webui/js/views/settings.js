// Settings: categories (aw-webui's `classes`), start of day and week, theme.

import { defaultCategories } from "../categories.js";
import { api } from "../api.js";
import { confirmDialog, dateTime, h, toast } from "../format.js";
import { hasSavedCategories, saveSetting, setting } from "../settings.js";

const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

/** "#0F0" -> "#00ff00" (the colour input takes only the long form). */
function longColor(c) {
  if (typeof c !== "string") return "";
  const m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(c);
  return m ? `#${m[1]}${m[1]}${m[2]}${m[2]}${m[3]}${m[3]}`.toLowerCase() : COLOR_RE.test(c) ? c.toLowerCase() : "";
}

function categoryRow(c) {
  const rule = c.rule || {};
  const hasColor = Boolean(longColor(c.data?.color));
  return h("tr", { class: "category", "data-id": c.id },
    h("td", {}, h("input", { class: "cat-name", value: c.name.join(" > "), "aria-label": "Name (parent > child)", required: true })),
    h("td", {}, h("input", { class: "cat-regex", value: rule.type === "regex" ? rule.regex || "" : "", placeholder: "no rule", "aria-label": "Regular expression" })),
    h("td", { class: "center" }, h("input", { type: "checkbox", class: "cat-icase", checked: Boolean(rule.ignore_case), "aria-label": "Ignore case" })),
    h("td", { class: "nowrap" },
      h("input", { type: "checkbox", class: "cat-has-color", checked: hasColor, title: "Own colour (else inherited)", "aria-label": "Own colour" }),
      h("input", { type: "color", class: "cat-color", value: longColor(c.data?.color) || "#888888", "aria-label": "Colour" })),
    h("td", {}, h("input", { type: "number", class: "cat-score", step: "1", value: c.data?.score ?? "", placeholder: "inherit", "aria-label": "Productivity score" })),
    h("td", {}, h("button", { type: "button", class: "ghost remove", title: "Remove", "aria-label": "Remove", onclick: (e) => e.target.closest("tr").remove() }, "✕")));
}

/** The categories as typed into the table; throws an Error naming the first bad row. */
function readCategories(tbody) {
  const out = [];
  [...tbody.querySelectorAll("tr.category")].forEach((row, i) => {
    const name = row.querySelector(".cat-name").value.split(">").map((s) => s.trim()).filter(Boolean);
    if (!name.length) throw new Error(`Row ${i + 1}: give the category a name`);
    const regex = row.querySelector(".cat-regex").value;
    if (regex) {
      try {
        new RegExp(regex);
      } catch (err) {
        throw new Error(`Row ${i + 1} (${name.join(" > ")}): the rule is not a valid regular expression: ${err.message}`);
      }
    }
    const data = {};
    if (row.querySelector(".cat-has-color").checked) data.color = row.querySelector(".cat-color").value;
    const score = row.querySelector(".cat-score").value;
    if (score !== "") data.score = Number(score);
    const rule = regex ? { type: "regex", regex, ignore_case: row.querySelector(".cat-icase").checked } : { type: null };
    out.push({ id: i, name, rule, data });
  });
  return out;
}

/** The Tokens section: programs that may use the API (list, create — the secret shown once — revoke). */
async function tokensSection() {
  const section = h("section", { class: "card", id: "tokens" }, h("h3", {}, "API tokens"));
  let tokens;
  try {
    tokens = await api("tokens");
  } catch (err) {
    section.append(h("p", { class: "muted" }, `Tokens cannot be listed here: ${err.message}`));
    return section;
  }
  const secret = h("div", { id: "new-token", hidden: true });
  const list = h("tbody", { id: "token-rows" });
  const redraw = async () => {
    const rows = await api("tokens");
    list.replaceChildren(...rows.map(tokenRow));
  };
  const tokenRow = (t) => h("tr", { "data-token": t.name },
    h("td", {}, t.name), h("td", {}, t.scope), h("td", {}, t.buckets || (t.scope === "append" ? "(any)" : "")), h("td", {}, dateTime(t.created)),
    h("td", {}, h("button", { type: "button", class: "danger revoke", onclick: async () => {
      if (!(await confirmDialog(`Revoke ${t.name}?`, "Programs using this token lose access at once.", "Revoke"))) return;
      try {
        await api(`tokens/${encodeURIComponent(t.name)}`, { method: "DELETE" });
        toast(`Revoked ${t.name}`);
        await redraw();
      } catch (err) {
        toast(err.message, "error");
      }
    } }, "Revoke")));
  list.replaceChildren(...tokens.map(tokenRow));
  const name = h("input", { id: "token-name", placeholder: "phone-sync", "aria-label": "Token name" });
  const scope = h("select", { id: "token-scope", "aria-label": "Scope" }, ["read", "append", "admin"].map((x) => h("option", { value: x }, x)));
  const prefix = h("input", { id: "token-buckets", placeholder: "bucket prefix (append)", "aria-label": "Bucket prefix" });
  const create = async () => {
    try {
      const body = { name: name.value.trim(), scope: scope.value, ...(prefix.value ? { buckets: prefix.value } : {}) };
      const made = await api("tokens", { method: "POST", body });
      secret.replaceChildren(
        h("p", {}, `The token for ${made.name} — copy it now, it is not shown again:`),
        h("pre", { id: "new-token-value" }, made.token));
      secret.hidden = false;
      name.value = "";
      prefix.value = "";
      await redraw();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  section.append(
    h("p", { class: "muted" }, "Programs on this computer need no token unless [auth] require_token is set; other computers always do. read: look only; append: add events to buckets starting with the prefix; admin: everything."),
    h("table", { class: "table" }, h("thead", {}, h("tr", {}, ["Name", "Scope", "Buckets", "Created", ""].map((t) => h("th", {}, t)))), list),
    h("div", { class: "card-row" }, h("span", { class: "controls" }, name, scope, prefix), h("button", { type: "button", class: "primary", id: "create-token", onclick: create }, "Create token")),
    secret);
  return section;
}

/** Draws the Settings view. */
export async function render(root) {
  const [classes, saved, startOfDay, startOfWeek, theme, tokens] = await Promise.all([
    setting("classes"), hasSavedCategories(), setting("startOfDay"), setting("startOfWeek"), setting("theme"), tokensSection(),
  ]);
  const tbody = h("tbody", { id: "category-rows" }, classes.map(categoryRow));
  const saveCategories = async () => {
    try {
      const value = readCategories(tbody);
      await saveSetting("classes", value);
      toast(`Saved ${value.length} categories`);
      note.textContent = "";
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const note = h("p", { class: "muted", id: "defaults-note" }, saved ? "" : "These are the default categories; they are saved when you first save.");
  const dayInput = h("input", { type: "time", id: "start-of-day", value: startOfDay, "aria-label": "Start of day" });
  const weekSelect = h("select", { id: "start-of-week", "aria-label": "Start of week" }, ["Monday", "Sunday"].map((d) => h("option", { value: d, selected: d === startOfWeek }, d)));
  const themeSelect = h("select", { id: "theme", "aria-label": "Theme" }, ["light", "dark"].map((t) => h("option", { value: t, selected: t === theme }, t[0].toUpperCase() + t.slice(1))));
  const saveGeneral = async () => {
    if (!/^\d{2}:\d{2}$/.test(dayInput.value)) return toast("Start of day must be a time like 04:00", "error");
    await Promise.all([saveSetting("startOfDay", dayInput.value), saveSetting("startOfWeek", weekSelect.value), saveSetting("theme", themeSelect.value)]);
    document.documentElement.dataset.theme = themeSelect.value;
    localStorage.setItem("aw-theme", themeSelect.value);
    toast("Saved");
  };
  root.replaceChildren(
    h("div", { class: "view-header" }, h("div", {}, h("h1", {}, "Settings"))),
    h("section", { class: "card" },
      h("h3", {}, "General"),
      h("div", { class: "form-grid" },
        h("label", { for: "start-of-day" }, "Days start at"), dayInput,
        h("label", { for: "start-of-week" }, "Weeks start on"), weekSelect,
        h("label", { for: "theme" }, "Theme"), themeSelect),
      h("div", { class: "card-row" }, h("span", { class: "muted" }, "A day from 04:00 to 04:00 keeps late evenings on the day they belong to."), h("button", { type: "button", class: "primary", id: "save-general", onclick: saveGeneral }, "Save"))),
    h("section", { class: "card" },
      h("h3", {}, "Categories"),
      h("p", { class: "muted" }, "A window belongs to the deepest category whose rule (a regular expression) matches its app or title. Name sub-categories \"Parent > Child\"; colour and productivity score are inherited from the parent when left empty."),
      note,
      h("table", { class: "table categories" },
        h("thead", {}, h("tr", {}, ["Name", "Rule (regex)", "Ignore case", "Colour", "Score", ""].map((t) => h("th", {}, t)))),
        tbody),
      h("div", { class: "card-row" },
        h("span", { class: "controls" },
          h("button", { type: "button", id: "add-category", onclick: () => { const row = categoryRow({ id: -1, name: [""], rule: { type: "regex", regex: "" }, data: {} }); tbody.append(row); row.querySelector("input").focus(); } }, "Add category"),
          h("button", { type: "button", onclick: async () => tbody.replaceChildren(...(await defaultCategories()).map(categoryRow)) }, "Reset to defaults")),
        h("button", { type: "button", class: "primary", id: "save-categories", onclick: saveCategories }, "Save categories"))),
    tokens,
  );
}
