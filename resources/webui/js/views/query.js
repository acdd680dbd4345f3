// Query explorer: write a query, pick timeperiods, see the result as JSON and as a table.

import { api, query } from "../api.js";
import { rulesForQuery } from "../categories.js";
import { dateTime, duration, h, shorten } from "../format.js";
import { canonicalEvents } from "../queries.js";
import { setting } from "../settings.js";
import { localIso, logicalDate, period } from "../time.js";

const STORE_KEY = "aw-query-text";

async function example() {
  const [info, classes] = await Promise.all([api("info"), setting("classes")]);
  return [
    ...canonicalEvents(info.hostname, rulesForQuery(classes)).slice(0, 4),
    `events = merge_events_by_keys(events, ["app"]);`,
    `RETURN = sort_by_duration(events);`,
  ].join("\n");
}

const localInput = (d) => localIso(d).slice(0, 16);
const cell = (v) => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

/** A table for a list of events (time, duration, data keys) or of plain values; null for other results. */
function table(result) {
  if (!Array.isArray(result) || !result.length) return null;
  const events = result.every((e) => e && typeof e === "object" && "timestamp" in e && "data" in e);
  if (!events) return h("table", { class: "table" }, h("tbody", {}, result.slice(0, 500).map((v) => h("tr", {}, h("td", {}, shorten(cell(v), 200))))));
  const keys = [...new Set(result.flatMap((e) => Object.keys(e.data)))].slice(0, 8);
  return h("table", { class: "table", id: "result-table" },
    h("thead", {}, h("tr", {}, ["Time", "Duration", ...keys].map((k) => h("th", {}, k)))),
    h("tbody", {}, result.slice(0, 500).map((e) => h("tr", {}, h("td", { class: "nowrap" }, dateTime(e.timestamp)), h("td", { class: "num" }, duration(e.duration)), keys.map((k) => h("td", {}, shorten(cell(e.data[k]), 90)))))));
}

/** Draws the Query explorer. */
export async function render(root) {
  const startOfDay = await setting("startOfDay");
  const [start, end] = period("day", logicalDate(new Date(), startOfDay), { startOfDay });
  const text = h("textarea", { id: "query-text", rows: 12, spellcheck: false, "aria-label": "Query" }, localStorage.getItem(STORE_KEY) || (await example()));
  const from = h("input", { type: "datetime-local", id: "query-from", value: localInput(start), "aria-label": "From" });
  const to = h("input", { type: "datetime-local", id: "query-to", value: localInput(end), "aria-label": "To" });
  const output = h("div", { id: "query-output" });
  const run = async () => {
    localStorage.setItem(STORE_KEY, text.value);
    const a = new Date(from.value);
    const b = new Date(to.value);
    if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime()) || a >= b) {
      output.replaceChildren(h("p", { class: "error-text" }, "Choose a start before the end."));
      return;
    }
    output.replaceChildren(h("p", { class: "muted" }, "Running…"));
    const started = performance.now();
    try {
      const lines = text.value.split("\n");
      const [result] = await query(lines, [`${localIso(a)}/${localIso(b)}`]);
      const ms = Math.round(performance.now() - started);
      const t = table(result);
      output.replaceChildren(
        h("p", { class: "muted", id: "query-status" }, `${Array.isArray(result) ? `${result.length} items` : typeof result} in ${ms} ms`),
        t ? h("details", { open: true }, h("summary", {}, "Table"), t) : null,
        h("details", { open: !t }, h("summary", {}, "JSON"), h("pre", { id: "query-json" }, JSON.stringify(result, null, 2).slice(0, 500_000))));
    } catch (err) {
      output.replaceChildren(h("p", { class: "error-text", id: "query-error" }, err.message));
    }
  };
  text.addEventListener("keydown", (e) => (e.ctrlKey || e.metaKey) && e.key === "Enter" && run());
  root.replaceChildren(
    h("div", { class: "view-header" }, h("div", {}, h("h1", {}, "Query explorer"), h("div", { class: "muted" }, "The ActivityWatch query language; Ctrl+Enter runs it."))),
    h("section", { class: "card" }, text,
      h("div", { class: "card-row" },
        h("span", { class: "controls" }, h("label", { for: "query-from" }, "From"), from, h("label", { for: "query-to" }, "to"), to),
        h("span", { class: "controls" },
          h("button", { type: "button", onclick: async () => { localStorage.removeItem(STORE_KEY); text.value = await example(); } }, "Example"),
          h("button", { type: "button", id: "run-query", class: "primary", onclick: run }, "Run")))),
    h("section", { class: "card" }, output),
  );
}
