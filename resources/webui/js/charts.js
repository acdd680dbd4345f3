// Charts drawn with Apache ECharts (vendor/echarts/, served with the dashboard): bars, sunburst, timelines.

import { duration, shorten } from "./format.js";
import { pathKey } from "./categories.js";

const CHARTS_JS = "vendor/echarts/echarts.min.js";
let loading = null;

/**
 * Resolves once the charting library has run. It is loaded on the first call (about 670 KB to compile),
 * which views make after sending their requests: the browser compiles it while the server answers,
 * and views without charts never load it.
 */
export function chartsReady() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement("script"), { id: "charts", src: CHARTS_JS, async: true });
      script.addEventListener("load", () => resolve(window.echarts));
      script.addEventListener("error", () => {
        loading = null; // tried again by the next view
        script.remove();
        reject(new Error(`The charting library (${CHARTS_JS}) did not load.`));
      });
      document.head.append(script);
    });
  }
  return loading;
}

const live = new Set();
const resized = new ResizeObserver((entries) => {
  for (const entry of entries) echarts.getInstanceByDom(entry.target)?.resize();
});

/** The chart drawn in `el` at `height` px (created on first use; charts of elements gone are disposed). */
function chartIn(el, height, renderer = "svg") {
  for (const chart of live) {
    if (!chart.getDom().isConnected) {
      resized.unobserve(chart.getDom());
      chart.dispose();
      live.delete(chart);
    }
  }
  el.style.height = `${height}px`;
  let chart = echarts.getInstanceByDom(el);
  if (chart) {
    chart.resize();
    return chart;
  }
  el.replaceChildren();
  chart = echarts.init(el, null, { renderer });
  live.add(chart);
  resized.observe(el);
  return chart;
}

/** Text made safe for the HTML of a tooltip. */
export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return { text: v("--text"), muted: v("--muted"), grid: v("--grid"), bg: v("--panel") };
}

/** What every chart shares: no animation (views redraw often), the page's font, themed tooltips. */
function base(extra = {}) {
  const t = theme();
  return {
    animation: false,
    textStyle: { fontFamily: "system-ui, sans-serif", fontSize: 12, color: t.text },
    tooltip: {
      trigger: "item",
      confine: true,
      backgroundColor: t.bg,
      borderColor: t.grid,
      textStyle: { color: t.text, fontSize: 12 },
      ...extra.tooltip,
    },
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== "tooltip")),
  };
}

function draw(chart, option) {
  chart.setOption(option, { notMerge: true });
  return Promise.resolve(chart);
}

const hours = (seconds) => seconds / 3600;

/** Tick interval (seconds) for an axis of durations up to `maxSeconds`: about five ticks at round values. */
function durationStep(maxSeconds) {
  const steps = [300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 7 * 86400];
  return steps.find((s) => maxSeconds / s <= 5) || Math.ceil(maxSeconds / 5 / 86400) * 86400;
}

/** Horizontal bars, longest first: items are {label, title, seconds, color}. */
export function hbar(el, items, { emptyText = "No data for this period" } = {}) {
  if (!items.length) return empty(el, emptyText);
  const t = theme();
  const max = Math.max(...items.map((i) => i.seconds));
  const chart = chartIn(el, 30 + items.length * 26);
  return draw(chart, base({
    grid: { left: 8, right: 56, top: 4, bottom: 4 },
    xAxis: { type: "value", show: false, min: 0, max: hours(max) * 1.02 },
    yAxis: {
      type: "category",
      inverse: true,
      data: items.map((i) => shorten(i.label, 44)),
      axisTick: { show: false },
      axisLine: { show: false },
      axisLabel: { color: t.text, interval: 0 },
    },
    tooltip: { formatter: (p) => `${escapeHtml(items[p.dataIndex].title ?? items[p.dataIndex].label)}<br><b>${duration(items[p.dataIndex].seconds)}</b>` },
    series: [{
      type: "bar",
      barCategoryGap: "25%",
      data: items.map((i) => ({ value: hours(i.seconds), itemStyle: { color: i.color } })),
      label: { show: true, position: "right", color: t.text, formatter: (p) => duration(items[p.dataIndex].seconds) },
    }],
  }));
}

/** A sunburst of time per category path (each ring a level of the tree; click a slice to zoom into it). */
export function sunburst(el, catEvents, index) {
  if (!catEvents.length) return empty(el, "No categorized time");
  const t = theme();
  const total = catEvents.reduce((sum, e) => sum + e.duration, 0);
  const root = { name: "All", value: total, depth: 0, itemStyle: { color: t.bg }, children: [] };
  const nodes = new Map();
  for (const e of catEvents) {
    const name = e.data.$category || ["Uncategorized"];
    let parent = root;
    for (let n = 1; n <= name.length; n++) {
      const key = pathKey(name.slice(0, n));
      let node = nodes.get(key);
      if (!node) {
        node = { name: name[n - 1], path: key, value: 0, depth: n, itemStyle: { color: index.color(name.slice(0, n)) }, children: [] };
        nodes.set(key, node);
        parent.children.push(node);
      }
      node.value += e.duration;
      parent = node;
    }
  }
  const chart = chartIn(el, 340);
  // ECharts splits the radius evenly between the levels. A label runs along its arc where that is longer
  // than the ring is thick, else along the radius, cut to fit; slices too small for either show none.
  const depth = 1 + Math.max(...[...nodes.values()].map((n) => n.depth));
  const ring = (0.95 * Math.min(el.clientWidth || 340, 340)) / 2 / depth;
  for (const node of nodes.values()) {
    const arc = ((2 * Math.PI * node.value) / total) * (node.depth + 0.5) * ring;
    const along = arc >= ring;
    const room = (along ? arc : ring) - 8;
    node.label = room < 20 || (!along && arc < 14) ? { show: false } : { rotate: along ? "tangential" : "radial", width: room };
  }
  root.label = { rotate: 0, width: 2 * ring - 8, color: t.text };
  return draw(chart, base({
    tooltip: { formatter: (p) => `${escapeHtml(p.data.path ?? "All")}<br><b>${duration(p.value)}</b> (${Math.round((100 * p.value) / total)}%)` },
    series: [{
      type: "sunburst",
      data: [root],
      radius: [0, "95%"],
      sort: null,
      nodeClick: "rootToNode",
      itemStyle: { borderColor: t.bg, borderWidth: 1.5 },
      label: { color: "#111", overflow: "truncate", formatter: (p) => `${p.name}\n${duration(p.value)}` },
    }],
  }));
}

/**
 * Stacked bars of time per top-level category in each sub-period; `onClick(index)` is called with the
 * index of a clicked bar.
 */
export function stackedBars(el, labels, series, hoverLabels, { onClick } = {}) {
  const total = labels.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  const step = durationStep(Math.max(1, ...total));
  const max = Math.ceil((Math.max(1, ...total) * 1.02) / step) * step; // a round top, so its label reads well
  const t = theme();
  const chart = chartIn(el, 240);
  chart.off("click");
  if (onClick) chart.on("click", "series", (p) => onClick(p.dataIndex));
  return draw(chart, base({
    grid: { left: 48, right: 8, top: 8, bottom: 56 },
    legend: { bottom: 0, textStyle: { color: t.text } },
    tooltip: { formatter: (p) => `${escapeHtml(hoverLabels[p.dataIndex])}<br>${escapeHtml(p.seriesName)}: <b>${duration(series[p.seriesIndex].values[p.dataIndex])}</b>` },
    xAxis: { type: "category", data: labels, axisLabel: { color: t.muted }, axisLine: { lineStyle: { color: t.grid } }, axisTick: { alignWithLabel: true } },
    yAxis: {
      type: "value",
      min: 0,
      max: hours(max),
      interval: hours(step),
      axisLabel: { color: t.muted, formatter: (v) => (v === 0 ? "0" : duration(v * 3600)) },
      splitLine: { lineStyle: { color: t.grid } },
    },
    series: series.map((s) => ({
      type: "bar",
      name: s.name,
      stack: "total",
      barCategoryGap: "20%",
      itemStyle: { color: s.color },
      data: s.values.map(hours),
    })),
  }));
}

/**
 * Horizontal time lanes (a Gantt chart): lanes are {name, events: [{start: Date, end: Date, label, color, hover}]}
 * (`hover` is HTML the caller made safe). Drawn on a canvas, so thousands of events stay fast; with the
 * toolbar, zoom by dragging a box, the wheel or the slider, and reset.
 */
export function lanes(el, laneList, range, { height, toolbar = true } = {}) {
  const t = theme();
  const chart = chartIn(el, height || 70 + laneList.length * 46 + (toolbar ? 40 : 0), "canvas");
  const zoom = toolbar
    ? {
      toolbox: { right: 16, feature: { dataZoom: { yAxisIndex: "none", title: { zoom: "Zoom", back: "Undo zoom" } }, restore: { title: "Reset" }, saveAsImage: { title: "Save as image", name: "activitywatch-timeline" } } },
      dataZoom: [{ type: "inside", filterMode: "weakFilter", moveOnMouseMove: false }, { type: "slider", filterMode: "weakFilter", height: 20, bottom: 8 }],
    }
    : {};
  const renderItem = (params, api) => {
    const lane = api.value(0);
    const from = api.coord([api.value(1), lane]);
    const to = api.coord([api.value(2), lane]);
    const barHeight = api.size([0, 1])[1] * 0.8;
    const box = params.coordSys;
    const x0 = Math.max(from[0], box.x);
    const x1 = Math.min(Math.max(to[0], from[0] + 0.5), box.x + box.width);
    if (x1 <= x0) return null;
    const width = x1 - x0;
    // Labels only where they fit (about 7 px a character), recomputed as the user zooms; hover tells the rest.
    const label = laneList[lane].events[params.dataIndex].label;
    const text = width > 24 ? shorten(label, Math.floor((width - 6) / 7)) : "";
    return {
      type: "rect",
      shape: { x: x0, y: from[1] - barHeight / 2, width, height: barHeight },
      style: { fill: api.visual("color") },
      textContent: text ? { style: { text, fill: "#111", fontSize: 11 } } : undefined,
      textConfig: text ? { position: "insideLeft" } : undefined,
    };
  };
  const drawn = draw(chart, base({
    ...zoom,
    grid: { left: 8, right: 16, top: toolbar ? 32 : 8, bottom: toolbar ? 60 : 28 },
    tooltip: { formatter: (p) => p.data.hover },
    xAxis: {
      type: "time",
      min: range[0].getTime(),
      max: range[1].getTime(),
      axisLabel: { color: t.muted, hideOverlap: true },
      axisLine: { lineStyle: { color: t.grid } },
      splitLine: { show: true, lineStyle: { color: t.grid } },
    },
    yAxis: { type: "category", inverse: true, data: laneList.map((l) => l.name), axisLabel: { color: t.text }, axisTick: { show: false } },
    series: laneList.map((lane, i) => ({
      type: "custom",
      name: lane.name,
      renderItem,
      encode: { x: [1, 2], y: 0 },
      data: lane.events.map((e) => ({ value: [i, e.start.getTime(), e.end.getTime()], itemStyle: { color: e.color }, hover: e.hover })),
    })),
  }));
  if (toolbar) {
    // As in most charting tools: dragging draws the box to zoom into, a double click shows the whole range.
    chart.dispatchAction({ type: "takeGlobalCursor", key: "dataZoomSelect", dataZoomSelectActive: true });
    chart.getZr().off("dblclick");
    chart.getZr().on("dblclick", () => chart.dispatchAction({ type: "dataZoom", start: 0, end: 100 }));
  }
  return drawn;
}

/** A placeholder sentence instead of an empty chart. */
export function empty(el, text) {
  const chart = window.echarts && echarts.getInstanceByDom(el);
  if (chart) {
    resized.unobserve(el);
    chart.dispose();
    live.delete(chart);
  }
  el.style.height = "";
  el.replaceChildren();
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = text;
  el.append(p);
  return Promise.resolve();
}
