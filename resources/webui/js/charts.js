// Charts drawn with plotly.js (served by this server from the plotly package): bars, sunburst, timelines.

import { duration, shorten } from "./format.js";
import { pathKey } from "./categories.js";

/**
 * Resolves once plotly.js has run. It loads `async` (about 4.7 MB to parse), so views fetch their data
 * while the browser compiles it, and wait for it only to draw.
 */
export function plotlyReady() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  return new Promise((resolve, reject) => {
    const script = document.getElementById("plotly");
    script.addEventListener("load", () => resolve(window.Plotly));
    script.addEventListener("error", () => reject(new Error("The charting library (/vendor/plotly.min.js) did not load.")));
  });
}

const CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };
const ZOOMABLE = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return { text: v("--text"), muted: v("--muted"), grid: v("--grid"), bg: v("--panel") };
}

function layout(extra = {}) {
  const t = theme();
  return {
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", size: 12, color: t.text },
    margin: { l: 8, r: 8, t: 8, b: 28 },
    hoverlabel: { bgcolor: t.bg, bordercolor: t.grid, font: { color: t.text } },
    ...extra,
  };
}

const hours = (seconds) => seconds / 3600;

/** A Date as the local wall time plotly's date axes expect (plotly has no time zones). */
export function plotDate(d) {
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Tick values and labels for an hours axis, as durations ("30m", "1h 30m"). */
function durationTicks(maxSeconds) {
  const steps = [300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 7 * 86400];
  const step = steps.find((s) => maxSeconds / s <= 5) || Math.ceil(maxSeconds / 5 / 86400) * 86400;
  const values = [];
  for (let s = 0; s <= maxSeconds + step / 2; s += step) values.push(s);
  return { tickvals: values.map(hours), ticktext: values.map((s) => (s === 0 ? "0" : duration(s))) };
}

/** Horizontal bars, longest first: items are {label, title, seconds, color}. */
export function hbar(el, items, { emptyText = "No data for this period" } = {}) {
  if (!items.length) return empty(el, emptyText);
  const t = theme();
  const max = Math.max(...items.map((i) => i.seconds));
  const trace = {
    type: "bar",
    orientation: "h",
    y: items.map((_, i) => i),
    x: items.map((i) => hours(i.seconds)),
    marker: { color: items.map((i) => i.color), line: { width: 0 } },
    text: items.map((i) => duration(i.seconds)),
    textposition: "outside",
    cliponaxis: false,
    customdata: items.map((i) => [i.title ?? i.label, duration(i.seconds)]),
    hovertemplate: "%{customdata[0]}<br><b>%{customdata[1]}</b><extra></extra>",
  };
  return Plotly.react(el, [trace], layout({
    height: 30 + items.length * 26,
    margin: { l: 8, r: 56, t: 4, b: 4 },
    bargap: 0.25,
    xaxis: { visible: false, range: [0, hours(max) * 1.02] },
    yaxis: {
      autorange: "reversed",
      tickvals: items.map((_, i) => i),
      ticktext: items.map((i) => shorten(i.label, 44)),
      ticks: "",
      automargin: true,
      color: t.text,
    },
    showlegend: false,
  }), CONFIG);
}

/** A sunburst of time per category path (each ring a level of the tree). */
export function sunburst(el, catEvents, index) {
  if (!catEvents.length) return empty(el, "No categorized time");
  const nodes = new Map();
  for (const e of catEvents) {
    const name = e.data.$category || ["Uncategorized"];
    for (let n = 1; n <= name.length; n++) {
      const key = pathKey(name.slice(0, n));
      const node = nodes.get(key) || { name: name.slice(0, n), seconds: 0 };
      node.seconds += e.duration;
      nodes.set(key, node);
    }
  }
  const list = [...nodes.values()];
  const total = catEvents.reduce((sum, e) => sum + e.duration, 0);
  const ROOT = "All";
  const trace = {
    type: "sunburst",
    ids: [ROOT, ...list.map((n) => pathKey(n.name))],
    labels: ["All", ...list.map((n) => n.name[n.name.length - 1])],
    parents: ["", ...list.map((n) => (n.name.length > 1 ? pathKey(n.name.slice(0, -1)) : ROOT))],
    values: [total, ...list.map((n) => n.seconds)],
    branchvalues: "total",
    marker: { colors: [theme().bg, ...list.map((n) => index.color(n.name))], line: { color: theme().bg, width: 1.5 } },
    customdata: [duration(total), ...list.map((n) => duration(n.seconds))],
    hovertemplate: "%{id}<br><b>%{customdata}</b> (%{percentRoot:.0%})<extra></extra>",
    texttemplate: "%{label}<br>%{customdata}",
    insidetextorientation: "radial",
    sort: false,
  };
  return Plotly.react(el, [trace], layout({ height: 340, margin: { l: 4, r: 4, t: 4, b: 4 } }), CONFIG);
}

/** Stacked bars of time per top-level category in each sub-period. */
export function stackedBars(el, labels, series, hoverLabels) {
  const total = labels.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  const max = Math.max(1, ...total);
  const t = theme();
  const traces = series.map((s) => ({
    type: "bar",
    name: s.name,
    x: labels,
    y: s.values.map(hours),
    marker: { color: s.color },
    customdata: s.values.map((v, i) => [duration(v), hoverLabels[i]]),
    hovertemplate: `%{customdata[1]}<br>${s.name}: <b>%{customdata[0]}</b><extra></extra>`,
  }));
  return Plotly.react(el, traces, layout({
    height: 240,
    barmode: "stack",
    bargap: 0.2,
    margin: { l: 48, r: 8, t: 8, b: 32 },
    legend: { orientation: "h", y: -0.18, font: { color: t.text } },
    xaxis: { type: "category", tickangle: 0, color: t.muted, gridcolor: t.grid },
    yaxis: { ...durationTicks(max), range: [0, hours(max) * 1.05], color: t.muted, gridcolor: t.grid, zeroline: false },
  }), CONFIG);
}

/**
 * Horizontal time lanes (a Gantt chart): lanes are {name, events: [{start: Date, end: Date, label, color, hover}]}.
 * Each lane is one trace of bars on a date axis, so thousands of events stay fast; zoom with drag and the range slider.
 */
export function lanes(el, laneList, range, { height, toolbar = true } = {}) {
  const t = theme();
  // Labels only where they fit (about 7 px a character on the plot's width); hover tells the rest.
  const pxPerMs = Math.max(200, el.clientWidth - 220) / (range[1] - range[0]);
  const fit = (e) => shorten(e.label, Math.floor(((e.end - e.start) * pxPerMs - 6) / 7));
  const traces = laneList.map((lane) => ({
    type: "bar",
    orientation: "h",
    name: lane.name,
    y: lane.events.map(() => lane.name),
    base: lane.events.map((e) => plotDate(e.start)),
    x: lane.events.map((e) => e.end - e.start),
    marker: { color: lane.events.map((e) => e.color), line: { width: 0 } },
    text: lane.events.map((e) => ((e.end - e.start) * pxPerMs > 24 ? fit(e) : "")),
    textposition: "inside",
    insidetextanchor: "start",
    textfont: { color: "#111" },
    textangle: 0,
    constraintext: "none",
    customdata: lane.events.map((e) => e.hover),
    hovertemplate: "%{customdata}<extra></extra>",
    width: 0.8,
  }));
  return Plotly.react(el, traces, layout({
    height: height || 70 + laneList.length * 46,
    margin: { l: 8, r: 16, t: 8, b: 32 },
    barmode: "overlay",
    showlegend: false,
    xaxis: { type: "date", range: range.map(plotDate), color: t.muted, gridcolor: t.grid },
    yaxis: { autorange: "reversed", automargin: true, color: t.text, categoryorder: "array", categoryarray: laneList.map((l) => l.name) },
  }), toolbar ? ZOOMABLE : CONFIG);
}

/** A placeholder sentence instead of an empty chart. */
export function empty(el, text) {
  if (window.Plotly && el.classList.contains("js-plotly-plot")) Plotly.purge(el);
  el.replaceChildren();
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = text;
  el.append(p);
  return Promise.resolve();
}
