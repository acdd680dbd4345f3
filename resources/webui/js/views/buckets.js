// Buckets: every bucket with its metadata and event count; raw events (paged), export, import, delete.

import { api, download, upload } from "../api.js";
import { confirmDialog, dateTime, duration, h, shorten, toast } from "../format.js";

const PAGE = 50;

function progressBar(id) {
  return h("div", { class: "progress", id, hidden: true }, h("div", { class: "progress-fill" }), h("span", { class: "progress-text" }));
}

function showProgress(el, fraction, text) {
  el.hidden = false;
  el.querySelector(".progress-fill").style.width = `${Math.round(Math.min(1, fraction) * 100)}%`;
  el.querySelector(".progress-text").textContent = text;
}

async function exportAll(bar) {
  const sizeText = (n) => `${(n / 1048576).toFixed(1)} MB`;
  try {
    const n = await download("export", "aw-buckets-export.json", (got) => showProgress(bar, 0.5, `Exporting… ${sizeText(got)}`));
    showProgress(bar, 1, `Exported ${sizeText(n)}`);
  } catch (err) {
    toast(`Export failed: ${err.message}`, "error");
  }
}

function importForm(onDone) {
  const bar = progressBar("import-progress");
  const input = h("input", { type: "file", id: "import-file", accept: ".json,application/json,.db,.sqlite,.csv,text/csv", "aria-label": "Export file or ActivityWatch database to import" });
  const button = h("button", { type: "button", id: "import-button", onclick: async () => {
    const file = input.files[0];
    if (!file) return toast("Choose a file first", "error");
    button.disabled = true;
    try {
      const report = await upload(file, (f) => showProgress(bar, f, f < 1 ? `Uploading… ${Math.round(f * 100)}%` : "Storing…"));
      const summary = report ? `: ${report.events_imported} events imported, ${report.events_skipped} already there` : "";
      toast(`Imported ${file.name}`);
      onDone(`Imported ${file.name}${summary}`);
    } catch (err) {
      bar.hidden = true;
      toast(`Import failed: ${err.message}`, "error");
    } finally {
      button.disabled = false;
    }
  } }, "Import");
  return h("div", { class: "import" }, input, button, bar);
}

async function list(root, alive, notice) {
  const buckets = Object.values(await api("buckets/")).sort((a, b) => a.id.localeCompare(b.id));
  const counts = await Promise.all(buckets.map((b) => api(`buckets/${encodeURIComponent(b.id)}/events/count`)));
  if (!alive()) return;
  const exportBar = progressBar("export-progress");
  const rows = buckets.map((b, i) =>
    h("tr", { "data-bucket": b.id },
      h("td", {}, h("a", { href: `#/buckets/${encodeURIComponent(b.id)}` }, b.id)),
      h("td", {}, b.type), h("td", {}, b.client), h("td", {}, b.hostname),
      h("td", { class: "num" }, counts[i].toLocaleString()),
      h("td", {}, b.metadata?.start ? dateTime(b.metadata.start) : "–"),
      h("td", {}, b.metadata?.end ? dateTime(b.metadata.end) : "–")));
  root.replaceChildren(
    h("div", { class: "view-header" },
      h("div", {}, h("h1", {}, "Buckets"), h("div", { class: "muted" }, `${buckets.length} buckets, ${counts.reduce((a, b) => a + b, 0).toLocaleString()} events`)),
      h("div", { class: "controls" }, h("button", { type: "button", id: "export-all", onclick: () => exportAll(exportBar) }, "Export all (JSON)"))),
    exportBar,
    h("section", { class: "card" },
      buckets.length
        ? h("table", { class: "table", id: "bucket-table" },
          h("thead", {}, h("tr", {}, ["Bucket", "Type", "Client", "Host", "Events", "First event", "Last event"].map((t) => h("th", {}, t)))),
          h("tbody", {}, rows))
        : h("p", { class: "empty" }, "No buckets yet.")),
    h("section", { class: "card" }, h("h3", {}, "Import"), h("p", { class: "muted" }, "An ActivityWatch export file (JSON), or an ActivityWatch database: aw-server-rust's sqlite.db or aw-server's peewee-sqlite.v2.db (with their settings), or a CSV export of RescueTime, Toggl or any table with start and end or duration columns. Events already stored are skipped, so importing twice is harmless."), importForm((done) => list(root, alive, done))),
  );
  if (notice) showProgress(document.getElementById("import-progress"), 1, notice);
}

async function detail(root, id, cursor, alive) {
  const bucket = await api(`buckets/${encodeURIComponent(id)}`);
  const params = new URLSearchParams({ limit: String(PAGE + 2) });
  if (cursor) params.set("end", cursor);
  const [fetched, count] = await Promise.all([api(`buckets/${encodeURIComponent(id)}/events?${params}`), api(`buckets/${encodeURIComponent(id)}/events/count`)]);
  if (!alive()) return;
  // The server returns events reaching into the range; the previous page's last event starts at the cursor.
  const events = cursor ? fetched.filter((e) => new Date(e.timestamp).getTime() < new Date(cursor).getTime()) : fetched;
  const page = events.slice(0, PAGE);
  const more = events.length > PAGE;
  const keys = [...new Set(page.flatMap((e) => Object.keys(e.data)))].slice(0, 6);
  const exportBar = progressBar("export-progress");
  const remove = async () => {
    const ok = await confirmDialog(`Delete ${id}?`, `This deletes the bucket and its ${count.toLocaleString()} events for good. Export it first if you may need it.`, "Delete bucket");
    if (!ok) return;
    try {
      await api(`buckets/${encodeURIComponent(id)}?force=1`, { method: "DELETE" });
      toast(`Deleted ${id}`);
      location.hash = "#/buckets";
    } catch (err) {
      toast(`Delete failed: ${err.message}`, "error");
    }
  };
  const exportOne = async () => {
    try {
      const n = await download(`buckets/${encodeURIComponent(id)}/export`, `aw-bucket-export_${id}.json`, (got) => showProgress(exportBar, 0.5, `Exporting… ${got} bytes`));
      showProgress(exportBar, 1, `Exported ${(n / 1024).toFixed(0)} kB`);
    } catch (err) {
      toast(`Export failed: ${err.message}`, "error");
    }
  };
  const base = `#/buckets/${encodeURIComponent(id)}`;
  root.replaceChildren(
    h("div", { class: "view-header" },
      h("div", {}, h("h1", {}, id), h("div", { class: "muted" }, `${bucket.type} · ${bucket.client} · ${bucket.hostname} · ${count.toLocaleString()} events`)),
      h("div", { class: "controls" },
        h("a", { class: "button", href: "#/buckets" }, "All buckets"),
        h("button", { type: "button", id: "export-bucket", onclick: exportOne }, "Export (JSON)"),
        h("button", { type: "button", class: "danger", id: "delete-bucket", onclick: remove }, "Delete…"))),
    exportBar,
    h("section", { class: "card" },
      h("div", { class: "card-row" },
        h("span", { class: "muted" }, page.length ? `Newest first, ${dateTime(page[0].timestamp)} back to ${dateTime(page[page.length - 1].timestamp)}` : "No events"),
        h("span", {},
          cursor ? h("a", { class: "button", href: base }, "Newest") : null,
          more ? h("a", { class: "button", id: "older", href: `${base}/${encodeURIComponent(page[page.length - 1].timestamp)}` }, "Older ›") : null)),
      h("table", { class: "table", id: "event-table" },
        h("thead", {}, h("tr", {}, ["Time", "Duration", ...keys].map((t) => h("th", {}, t)))),
        h("tbody", {}, page.map((e) => h("tr", {},
          h("td", { class: "nowrap" }, dateTime(e.timestamp)), h("td", { class: "num" }, duration(e.duration)),
          keys.map((k) => h("td", { title: typeof e.data[k] === "string" ? e.data[k] : JSON.stringify(e.data[k]) }, shorten(typeof e.data[k] === "string" ? e.data[k] : JSON.stringify(e.data[k] ?? ""), 70)))))))),
  );
}

/** Draws the bucket list, or one bucket's events (`#/buckets/<id>[/<older-than timestamp>]`). */
export async function render(root, [id, cursor], alive) {
  if (id) await detail(root, id, cursor, alive);
  else await list(root, alive);
}
