// Activity: the user's day (or week, month, year) at a glance for one host.

import { api, query } from "../api.js";
import { chartsReady, escapeHtml, hbar, lanes, stackedBars, sunburst } from "../charts.js";
import { CategoryIndex, pathKey, rulesForQuery, UNCATEGORIZED } from "../categories.js";
import { duration, h, shorten } from "../format.js";
import { summaryQuery } from "../queries.js";
import { setting } from "../settings.js";
import { logicalDate, period, periodTitle, PERIODS, shift, subperiods, timeperiod, ymd } from "../time.js";

const TOP = 10;

function link(host, kind, date) {
  return `#/activity/${encodeURIComponent(host)}/${kind}/${date}`;
}

function barLabel(kind, start) {
  if (kind === "day") return String(start.getHours()).padStart(2, "0");
  if (kind === "week") return start.toLocaleDateString(undefined, { weekday: "short", day: "numeric" });
  if (kind === "month") return String(start.getDate());
  return start.toLocaleDateString(undefined, { month: "short" });
}

function card(title, id, extra = {}) {
  return h("section", { class: "card chart-card", ...extra }, h("h3", {}, title), h("div", { class: "chart", id }));
}

function stat(label, value, id, note) {
  return h("div", { class: "stat" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value", id }, value), note ? h("div", { class: "stat-note" }, note) : null);
}

/** Apps merged by (app, category) -> one row per app, coloured by the category it spent most time in. */
function appRows(appEvents, index) {
  const apps = new Map();
  for (const e of appEvents) {
    const app = e.data.app ?? "(unknown)";
    const row = apps.get(app) || { label: app, seconds: 0, best: null, bestSeconds: -1 };
    row.seconds += e.duration;
    if (e.duration > row.bestSeconds) [row.best, row.bestSeconds] = [e.data.$category, e.duration];
    apps.set(app, row);
  }
  return [...apps.values()]
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, TOP)
    .map((r) => ({ label: r.label, title: `${r.label} (${pathKey(r.best || [UNCATEGORIZED])})`, seconds: r.seconds, color: index.color(r.best) }));
}

function topLevelSeries(results, index) {
  const names = new Map();
  results.forEach((catEvents, i) => {
    for (const e of catEvents) {
      const top = (e.data.$category || [UNCATEGORIZED])[0];
      if (!names.has(top)) names.set(top, new Array(results.length).fill(0));
      names.get(top)[i] += e.duration;
    }
  });
  const total = (values) => values.reduce((a, b) => a + b, 0);
  return [...names.entries()]
    .sort(([a, va], [b, vb]) => (a === UNCATEGORIZED) - (b === UNCATEGORIZED) || total(vb) - total(va))
    .map(([name, values]) => ({ name, values, color: index.color([name]) }));
}

/** Neighbouring events of the same category (less than a minute apart) drawn as one block; so are
 * events too short to see at the strip's scale. */
function stripBlocks(events, index, span) {
  const blocks = [];
  const tiny = span / 1500; // narrower than a pixel of the strip: joins the block before it
  for (const e of events) {
    const start = new Date(e.timestamp);
    const end = new Date(start.getTime() + e.duration * 1000);
    const cat = e.data.$category || [UNCATEGORIZED];
    const last = blocks[blocks.length - 1];
    const near = last && start - last.end < 60_000;
    if (near && (pathKey(last.cat) === pathKey(cat) || end - start < tiny)) {
      last.end = end > last.end ? end : last.end;
      last.apps.set(e.data.app, (last.apps.get(e.data.app) || 0) + e.duration);
    } else {
      blocks.push({ start, end, cat, apps: new Map([[e.data.app, e.duration]]) });
    }
  }
  const hm = (d) => d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return blocks.map((b) => {
    const apps = [...b.apps.entries()].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([a]) => a).join(", ");
    return { start: b.start, end: b.end, color: index.color(b.cat), label: "", hover: `${hm(b.start)}–${hm(b.end)} · <b>${escapeHtml(pathKey(b.cat))}</b><br>${escapeHtml(shorten(apps, 60))}` };
  });
}

/** Draws the Activity view. */
export async function render(root, [hostParam, kindParam, dateParam], alive) {
  const [info, buckets, startOfDay, startOfWeek, classes] = await Promise.all([
    api("info"), api("buckets/"), setting("startOfDay"), setting("startOfWeek"), setting("classes"),
  ]);
  const all = Object.values(buckets);
  const hosts = [...new Set(all.filter((b) => b.id.startsWith("aw-watcher-window_")).map((b) => b.hostname))].sort();
  if (!hosts.length) {
    root.replaceChildren(h("div", { class: "card empty-state" },
      h("h2", {}, "No activity recorded yet"),
      h("p", {}, "Once the window and AFK watchers have run for a while, your day shows up here."),
      h("p", {}, "Coming from ActivityWatch? Import an export file under ", h("a", { href: "#/buckets" }, "Buckets"), ".")));
    return;
  }
  const host = hosts.includes(hostParam) ? hostParam : hosts.includes(info.hostname) ? info.hostname : hosts[0];
  const kind = PERIODS.includes(kindParam) ? kindParam : "day";
  const today = logicalDate(new Date(), startOfDay);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(dateParam || "") ? dateParam : today;
  const [start, end] = period(kind, date, { startOfDay, startOfWeek });
  const index = new CategoryIndex(classes);
  const rules = rulesForQuery(classes);
  const webBuckets = all.filter((b) => b.id.startsWith("aw-watcher-web") && (b.hostname === host || b.id.endsWith("_" + host))).map((b) => b.id).sort();
  const bars = subperiods(kind, start, end);
  // One request over the whole period (its bars cut from the same events on the server), sent before the
  // page is built, and the charting library loaded and compiled while the server answers.
  const barPeriods = bars.map(([s, e]) => timeperiod(s, e));
  const summaryP = query(summaryQuery(host, rules, webBuckets, barPeriods, { limit: TOP, withEvents: kind === "day" }), [timeperiod(start, end)]);
  const charts = chartsReady();

  const prev = ymd(shift(kind, start, -1));
  const next = ymd(shift(kind, start, 1));
  const hostSelect = h("select", { id: "host", "aria-label": "Host", onchange: (e) => (location.hash = link(e.target.value, kind, date)) },
    hosts.map((x) => h("option", { value: x, selected: x === host }, x)));
  const dateInput = h("input", { type: "date", id: "date", value: date, "aria-label": "Date", onchange: (e) => e.target.value && (location.hash = link(host, kind, e.target.value)) });
  const header = h("div", { class: "view-header" },
    h("div", {}, h("h1", { id: "period-title" }, periodTitle(kind, start)), h("div", { class: "muted" }, `Host ${host} · days start at ${startOfDay}`)),
    h("div", { class: "controls" },
      h("div", { class: "segmented", role: "group", "aria-label": "Period" }, PERIODS.map((p) => h("a", { href: link(host, p, date), class: p === kind ? "active" : "", "data-period": p }, p[0].toUpperCase() + p.slice(1)))),
      h("a", { class: "button", href: link(host, kind, prev), title: "Previous", "aria-label": "Previous" }, "‹"),
      dateInput,
      h("a", { class: "button", href: link(host, kind, next), title: "Next", "aria-label": "Next" }, "›"),
      h("a", { class: "button", href: link(host, kind, today) }, "Today"),
      hostSelect));
  const stats = h("div", { class: "stats" },
    stat("Active time", "…", "stat-active"),
    stat("Productive", "…", "stat-productive"),
    stat("Top application", "…", "stat-app"),
    stat("Top category", "…", "stat-category"));
  const grid = h("div", { class: "grid" },
    card(kind === "day" ? "Over the day" : kind === "year" ? "Per month (click one to open it)" : "Per day (click one to open it)", "chart-bars", { class: "card chart-card wide" }),
    kind === "day" ? card("Active time by category", "chart-strip", { class: "card chart-card wide" }) : null,
    card("Top applications", "chart-apps"),
    card("Top window titles", "chart-titles"),
    card("Categories", "chart-sunburst"),
    card("Top categories", "chart-categories"),
    webBuckets.length ? card("Top browser domains", "chart-domains") : null,
    webBuckets.length ? card("Top browser URLs", "chart-urls") : null);
  root.replaceChildren(header, stats, grid);
  const [[whole]] = await Promise.all([summaryP, charts]);
  if (!alive()) return;
  const perBar = bars.map(() => []);
  for (const e of whole.bars) perBar[e.data.$period].push(e);
  const hover = bars.map(([s]) => (kind === "day" ? s.toLocaleString() : s.toLocaleDateString()));
  const barsEl = document.getElementById("chart-bars");
  const drawn = [
    // Drill down: a day's bar opens that day, a month's bar that month.
    stackedBars(barsEl, bars.map(([s]) => barLabel(kind, s)), topLevelSeries(perBar, index), hover, {
      onClick: kind === "day" ? null : (i) => (location.hash = link(host, kind === "year" ? "month" : "day", ymd(bars[i][0]))),
    }),
    ...drawSummary(whole, index),
    ...(webBuckets.length ? drawBrowser(whole) : []),
  ];
  if (kind === "day") {
    drawn.push(lanes(document.getElementById("chart-strip"), [{ name: "Active", events: stripBlocks(whole.events, index, end - start) }], [start, end], { height: 110, toolbar: false }));
  }
  await Promise.all(drawn);
}

function drawSummary(w, index) {
  const cats = [...w.cats].sort((a, b) => b.duration - a.duration);
  const productive = cats.filter((e) => index.score(e.data.$category) > 0).reduce((s, e) => s + e.duration, 0);
  const apps = appRows(w.apps, index);
  const active = document.getElementById("stat-active");
  active.textContent = duration(w.duration);
  active.dataset.seconds = w.duration; // exact, for tests and scripts
  document.getElementById("stat-productive").textContent = w.duration ? `${Math.round((100 * productive) / w.duration)}%` : "–";
  document.getElementById("stat-app").textContent = apps[0]?.label ?? "–";
  document.getElementById("stat-category").textContent = cats[0] ? pathKey(cats[0].data.$category) : "–";
  const catRow = (e) => ({ label: pathKey(e.data.$category), seconds: e.duration, color: index.color(e.data.$category) });
  return [
    hbar(document.getElementById("chart-apps"), apps),
    hbar(document.getElementById("chart-titles"), w.titles.slice(0, TOP).map((e) => ({ label: e.data.title, title: `${e.data.app}: ${e.data.title}`, seconds: e.duration, color: index.color(e.data.$category) }))),
    sunburst(document.getElementById("chart-sunburst"), cats, index),
    hbar(document.getElementById("chart-categories"), cats.slice(0, TOP).map(catRow)),
  ];
}

function drawBrowser(b) {
  const accent = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim();
  return [
    hbar(document.getElementById("chart-domains"), b.domains.slice(0, TOP).map((e) => ({ label: e.data.$domain || "(none)", seconds: e.duration, color: accent }))),
    hbar(document.getElementById("chart-urls"), b.urls.slice(0, TOP).map((e) => ({ label: e.data.title || e.data.url, title: e.data.url, seconds: e.duration, color: accent }))),
  ];
}

