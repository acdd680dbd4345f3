// Devices: every device this one syncs with (and itself): last seen, the span of its data here, errors.

import { api } from "../api.js";
import { dateTime, h } from "../format.js";

const when = (iso) => (iso ? dateTime(iso) : "never");

function row(d) {
  return h("tr", { "data-device": d.device_id, class: d.error ? "has-error" : "" },
    h("td", {}, h("strong", {}, d.hostname), d.this_device ? h("span", { class: "muted" }, " (this device)") : null,
      h("div", { class: "muted" }, d.device_id)),
    h("td", { class: "nowrap" }, when(d.last_seen)),
    h("td", { class: "nowrap" }, d.first_event ? `${dateTime(d.first_event)} – ${dateTime(d.last_event)}` : "no data"),
    h("td", { class: "num" }, (d.buckets ?? 0).toLocaleString()),
    h("td", { class: "num" }, (d.events_synced ?? 0).toLocaleString()),
    h("td", { class: "num" }, (d.segments_behind ?? 0).toLocaleString()),
    h("td", { class: "device-error" }, d.error ? h("span", { class: "error-text" }, d.error) : "–"));
}

/** Draws the device table, or says how to set sync up when it is off. */
export async function render(root, _params, alive) {
  const doc = await api("sync/devices");
  if (!alive()) return;
  const table = h("table", { class: "table", id: "device-table" },
    h("thead", {}, h("tr", {}, ["Device", "Last seen", "Data here", "Buckets", "Events synced", "Behind", "Error"].map((t) => h("th", {}, t)))),
    h("tbody", {}, doc.devices.map(row)));
  const problems = doc.devices.filter((d) => d.error).length;
  root.replaceChildren(
    h("div", { class: "view-header" },
      h("div", {}, h("h1", {}, "Devices"),
        h("div", { class: "muted" }, doc.enabled
          ? `${doc.devices.length} devices syncing through ${doc.folder}${problems ? `, ${problems} with errors` : ""}`
          : "This device only"))),
    ...(doc.enabled ? [] : [h("section", { class: "card", id: "sync-off" },
        h("p", { class: "empty" }, "Sync is off; set it up with ", h("code", {}, "activitywatch sync init --folder FOLDER"),
          " on one computer and ", h("code", {}, "activitywatch sync join --folder FOLDER --key KEY"),
          " on the others (FOLDER shared by Syncthing or any file sync). Their devices then appear here."))]),
    h("section", { class: "card" }, table),
  );
}
