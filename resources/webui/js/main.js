// The dashboard's entry point: hash routes to views, the theme, and a "ready" mark tests and benchmarks wait for.

import { adoptToken } from "./api.js";
import { defaultCategories } from "./categories.js";
import { h } from "./format.js";
import { loadSettings, saveSetting, setting } from "./settings.js";
import * as activity from "./views/activity.js";
import * as buckets from "./views/buckets.js";
import * as devices from "./views/devices.js";
import * as privacy from "./views/privacy.js";
import * as queryView from "./views/query.js";
import * as reports from "./views/reports.js";
import * as settingsView from "./views/settings.js";
import * as timeline from "./views/timeline.js";

const VIEWS = { activity, timeline, reports, buckets, devices, query: queryView, privacy, settings: settingsView };
const root = document.getElementById("view");
let generation = 0;

function applyTheme(name) {
  document.documentElement.dataset.theme = name === "dark" ? "dark" : "light";
  localStorage.setItem("aw-theme", document.documentElement.dataset.theme);
}

async function route() {
  const started = performance.now();
  const mine = ++generation;
  const [name = "activity", ...params] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const view = VIEWS[name] || activity;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("active", link.dataset.view === (VIEWS[name] ? name : "activity"));
  root.dataset.state = "loading";
  root.dataset.view = VIEWS[name] ? name : "activity";
  try {
    await view.render(root, params.filter(Boolean), () => mine === generation);
    if (mine !== generation) return;
    root.dataset.state = "ready";
  } catch (err) {
    if (mine !== generation) return;
    console.warn(err);
    root.replaceChildren(h("div", { class: "card error-box" }, h("h2", {}, "Something went wrong"), h("p", {}, err.message || String(err))));
    root.dataset.state = "error";
  }
  window.awRenderMs = performance.now() - started;
  window.awReadyAt = performance.now(); // since the page started loading
  document.title = `ActivityWatch – ${root.dataset.view[0].toUpperCase()}${root.dataset.view.slice(1)}`;
}

async function start() {
  adoptToken();
  applyTheme(localStorage.getItem("aw-theme"));
  document.getElementById("theme-toggle").addEventListener("click", async () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    applyTheme(next);
    await saveSetting("theme", next);
    route();
  });
  window.addEventListener("hashchange", route);
  // Sent with the settings, not after them: most views need both before their own requests.
  defaultCategories().catch(() => {}); // a failure is reported by the view that needs them
  try {
    await loadSettings();
    applyTheme(await setting("theme"));
  } catch (err) {
    console.warn("Settings could not be read:", err.message);
  }
  await route();
}

start();
