// Reports: working hours per day and computer (first and last activity, active and passive time by
// productivity), as a table and a stacked bar chart, exportable as CSV.

import { api } from "../api.js";
import { chartsReady, stackedBars } from "../charts.js";
import { duration, h } from "../format.js";
import { ymd } from "../time.js";

const PAGE_SIZE = 1000;
const SPLITS = [
  ["productive", "Productive", "#2ca02c"],
  ["unproductive", "Unproductive", "#d62728"],
  ["undefined", "Undefined", "#9aa1ad"],
];

/** Every row of the report, in the Live Data API's model (paged; a year for a few computers fits in one or two pages). */
async function fetchRows(from, to, tz) {
  const rows = [];
  for (let page = 1; ; page++) {
    const params = new URLSearchParams({ from, to, tz, page: String(page), pageSize: String(PAGE_SIZE) });
    const answer = await api(`reports/workinghours/computers?${params}`);
    rows.push(...answer.activity);
    if (rows.length >= answer.total || !answer.activity.length) return rows;
  }
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : "–");
const hours = (seconds) => (seconds / 3600).toFixed(2);

const COLUMNS = [
  ["date", (r) => r.date],
  ["computerId", (r) => r.computers[0]],
  ["computer", (r) => r.computer],
  ["userId", (r) => r.userid],
  ["user", (r) => r.user],
  ["firstActivity", (r) => r.firstActivity ?? ""],
  ["lastActivity", (r) => r.lastActivity ?? ""],
  ["activeProductiveHours", (r) => hours(r.activeTime.productive)],
  ["activeUnproductiveHours", (r) => hours(r.activeTime.unproductive)],
  ["activeUndefinedHours", (r) => hours(r.activeTime.undefined)],
  ["activeHours", (r) => hours(r.activeTime.total)],
  ["passiveHours", (r) => hours(r.passiveTime.total)],
  ["totalHours", (r) => hours(r.totalTime)],
];

/** The rows as CSV (RFC 4180 quoting), hours with two decimals. */
export function toCsv(rows) {
  const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return [COLUMNS.map(([name]) => name).join(","), ...rows.map((r) => COLUMNS.map(([, get]) => quote(get(r))).join(","))].join("\r\n") + "\r\n";
}

function saveCsv(rows, from, to) {
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: `working-hours_${from}_${to}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Draws the Reports view (`#/reports/<from>/<to>`, dates inclusive; default the last 7 days). */
export async function render(root, [fromParam, toParam], alive) {
  const dateRe = /^\d{4}-\d{2}-\d{2}$/;
  const today = new Date();
  const to = dateRe.test(toParam || "") ? toParam : ymd(today);
  const from = dateRe.test(fromParam || "") ? fromParam : ymd(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6));
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const fromInput = h("input", { type: "date", id: "report-from", value: from, "aria-label": "From" });
  const toInput = h("input", { type: "date", id: "report-to", value: to, "aria-label": "To" });
  const header = h("div", { class: "view-header" },
    h("div", {}, h("h1", {}, "Working hours"), h("div", { class: "muted" }, `Per day and computer, ${tz}; productivity from your categories' scores`)),
    h("div", { class: "controls" }, fromInput, h("span", { class: "muted" }, "to"), toInput,
      h("button", { type: "button", id: "report-show", onclick: () => (location.hash = `#/reports/${fromInput.value}/${toInput.value}`) }, "Show")));
  root.replaceChildren(header, h("p", { class: "muted" }, "Loading…"));
  const [rows] = await Promise.all([fetchRows(from, to, tz), chartsReady()]);
  if (!alive()) return;
  rows.sort((a, b) => a.date.localeCompare(b.date) || a.computer.localeCompare(b.computer));
  header.querySelector(".controls").append(h("button", { type: "button", id: "report-csv", disabled: !rows.length, onclick: () => saveCsv(rows, from, to) }, "Export CSV"));
  const dates = [];  // every day of the range, so days without activity show as gaps
  for (let d = new Date(`${from}T12:00`); ymd(d) <= to && dates.length < 400; d.setDate(d.getDate() + 1)) dates.push(ymd(d));
  const sumBy = (get) => dates.map((d) => rows.filter((r) => r.date === d).reduce((s, r) => s + get(r), 0));
  const series = [
    ...SPLITS.map(([key, name, color]) => ({ name: `Active, ${name.toLowerCase()}`, values: sumBy((r) => r.activeTime[key]), color })),
    { name: "Passive", values: sumBy((r) => r.passiveTime.total), color: "#c9d6ea" },
  ];
  const total = (get) => rows.reduce((s, r) => s + get(r), 0);
  const chart = h("div", { class: "chart", id: "chart-report" });
  root.replaceChildren(
    header,
    h("div", { class: "stats" },
      h("div", { class: "stat" }, h("div", { class: "stat-label" }, "Active time"), h("div", { class: "stat-value", id: "report-active" }, duration(total((r) => r.activeTime.total)))),
      h("div", { class: "stat" }, h("div", { class: "stat-label" }, "Productive"), h("div", { class: "stat-value" }, duration(total((r) => r.activeTime.productive)))),
      h("div", { class: "stat" }, h("div", { class: "stat-label" }, "Days with activity"), h("div", { class: "stat-value" }, String(new Set(rows.map((r) => r.date)).size)))),
    h("section", { class: "card" }, h("h3", {}, "Per day"), chart),
    h("section", { class: "card" },
      rows.length
        ? h("table", { class: "table", id: "report-table" },
          h("thead", {}, h("tr", {}, ["Date", "Computer", "First", "Last", "Productive", "Unproductive", "Undefined", "Active", "Passive", "Total"].map((t) => h("th", {}, t)))),
          h("tbody", {}, rows.map((r) => h("tr", {},
            h("td", { class: "nowrap" }, r.date), h("td", {}, r.computer), h("td", {}, time(r.firstActivity)), h("td", {}, time(r.lastActivity)),
            ...SPLITS.map(([key]) => h("td", { class: "num" }, duration(r.activeTime[key]))),
            h("td", { class: "num" }, duration(r.activeTime.total)), h("td", { class: "num" }, duration(r.passiveTime.total)), h("td", { class: "num" }, duration(r.totalTime))))))
        : h("p", { class: "empty" }, "No activity in this range.")),
  );
  if (rows.length) await stackedBars(chart, dates, series, dates);
  else chart.remove();
}
