// Timeline: every bucket of a host as a swim lane over a chosen range; drag to zoom, hover for details.

import { api } from "../api.js";
import { chartsReady, lanes } from "../charts.js";
import { dateTime, duration, h, shorten } from "../format.js";

const PRESETS = ["1h", "4h", "12h", "24h", "48h", "7d"];
const MAX_EVENTS = 10000;
const COLORS = ["#8fb8de", "#f4b183", "#a9d18e", "#ffd966", "#c9a0dc", "#9dc3e6", "#f8cbad", "#c5e0b4", "#d9d9d9", "#b4c7e7"];
const ALL = "*";

function hash(text) {
  let x = 0;
  for (const c of String(text)) x = (x * 31 + c.charCodeAt(0)) | 0;
  return Math.abs(x);
}

/** The label an event is known by: app, status, title, url or its first value. */
function labelOf(data) {
  const v = data.app ?? data.status ?? data.title ?? data.url ?? data.label ?? Object.values(data)[0];
  return v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
}

function colorOf(data, label) {
  if (data.status === "not-afk") return "#7bd17b";
  if (data.status === "afk") return "#d9d9d9";
  return COLORS[hash(label) % COLORS.length];
}

const escape = (s) => String(s).replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);

function hoverOf(bucket, start, seconds, data) {
  const rows = Object.entries(data).slice(0, 8).map(([k, v]) => `${escape(k)}: ${escape(shorten(typeof v === "string" ? v : JSON.stringify(v), 80))}`);
  return `<b>${escape(bucket)}</b><br>${dateTime(start)} · ${duration(seconds)}<br>${rows.join("<br>")}`;
}

/** [start, end] for a preset ("4h", "7d") ending now, or an explicit "from~to" (datetime-local values). */
function rangeOf(text) {
  const m = /^(\d+)([hd])$/.exec(text || "");
  if (m) {
    const end = new Date();
    return [new Date(end.getTime() - Number(m[1]) * (m[2] === "h" ? 3_600_000 : 86_400_000)), end];
  }
  const [a, b] = (text || "").split("~").map((s) => new Date(s));
  if (a && b && !Number.isNaN(a.getTime()) && !Number.isNaN(b.getTime()) && a < b) return [a, b];
  return null;
}

const localInput = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/** Draws the Timeline view. */
export async function render(root, [hostParam, rangeParam], alive) {
  const [info, buckets] = await Promise.all([api("info"), api("buckets/")]);
  const all = Object.values(buckets);
  const hosts = [...new Set(all.map((b) => b.hostname))].sort();
  const host = hostParam === ALL || hosts.includes(hostParam) ? hostParam : hosts.includes(info.hostname) ? info.hostname : ALL;
  const rangeText = rangeOf(rangeParam) ? rangeParam : "4h";
  const [start, end] = rangeOf(rangeText);
  const go = (r, hst = host) => (location.hash = `#/timeline/${encodeURIComponent(hst)}/${encodeURIComponent(r)}`);
  const from = h("input", { type: "datetime-local", id: "from", value: localInput(start), "aria-label": "From" });
  const to = h("input", { type: "datetime-local", id: "to", value: localInput(end), "aria-label": "To" });
  const shown = all.filter((b) => host === ALL || b.hostname === host).sort((a, b) => a.id.localeCompare(b.id));
  const status = h("span", { class: "muted", id: "timeline-status" }, "Loading events…");
  root.replaceChildren(
    h("div", { class: "view-header" },
      h("div", {}, h("h1", {}, "Timeline"), h("div", { class: "muted" }, `${dateTime(start)} – ${dateTime(end)}`)),
      h("div", { class: "controls" },
        h("div", { class: "segmented", role: "group", "aria-label": "Show last" }, PRESETS.map((p) => h("a", { href: "#", class: p === rangeText ? "active" : "", onclick: (e) => { e.preventDefault(); go(p); } }, p))),
        from, h("span", { class: "muted" }, "to"), to,
        h("button", { type: "button", onclick: () => go(`${from.value}~${to.value}`) }, "Show"),
        h("select", { "aria-label": "Host", onchange: (e) => go(rangeText, e.target.value) },
          h("option", { value: ALL, selected: host === ALL }, "All hosts"), hosts.map((x) => h("option", { value: x, selected: x === host }, x))))),
    h("section", { class: "card" }, h("div", { class: "card-row" }, status, h("span", { class: "muted" }, "Drag to zoom, double-click to reset")), h("div", { class: "chart", id: "chart-timeline" })),
  );
  const q = `start=${encodeURIComponent(start.toISOString())}&end=${encodeURIComponent(end.toISOString())}&limit=${MAX_EVENTS}`;
  const [events] = await Promise.all([Promise.all(shown.map((b) => api(`buckets/${encodeURIComponent(b.id)}/events?${q}`))), chartsReady()]);
  if (!alive()) return;
  const laneList = shown
    .map((b, i) => ({
      name: b.id,
      events: events[i].map((e) => {
        const s = new Date(e.timestamp);
        const label = labelOf(e.data);
        return { start: s, end: new Date(s.getTime() + Math.max(e.duration, 0.5) * 1000), label: shorten(label, 30), color: colorOf(e.data, label), hover: hoverOf(b.id, s, e.duration, e.data) };
      }),
    }))
    .filter((lane) => lane.events.length);
  const count = laneList.reduce((n, l) => n + l.events.length, 0);
  status.textContent = laneList.length ? `${count} events in ${laneList.length} buckets` : "No events in this range (buckets without events are hidden)";
  if (laneList.length) await lanes(document.getElementById("chart-timeline"), laneList, [start, end]);
}
