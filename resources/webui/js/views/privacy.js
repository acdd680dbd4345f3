// Privacy: the filters that decide what may be stored (with a preview on stored events), and forgetting a time range.

import { api } from "../api.js";
import { confirmDialog, dateTime, h, shorten, toast } from "../format.js";
import { loadSettings } from "../settings.js";
import { localIso } from "../time.js";

// What the server applies while `privacy_filters` is unset (private browsing windows are not stored).
const DEFAULT_RULES = [{ enabled: true, bucket_prefix: "", field: "incognito", pattern: "^true$", action: "drop", replacement: "" }];

function ruleRow(rule) {
  return h("tr", { class: "rule" },
    h("td", { class: "center" }, h("input", { type: "checkbox", class: "rule-enabled", checked: rule.enabled !== false, "aria-label": "Enabled" })),
    h("td", {}, h("input", { class: "rule-prefix", value: rule.bucket_prefix ?? "", placeholder: "all buckets", "aria-label": "Bucket prefix" })),
    h("td", {}, h("input", { class: "rule-field", value: rule.field ?? "", placeholder: "title", "aria-label": "Field" })),
    h("td", {}, h("input", { class: "rule-pattern mono", value: rule.pattern ?? "", placeholder: "regular expression", "aria-label": "Pattern" })),
    h("td", {}, h("select", { class: "rule-action", "aria-label": "Action" }, ["drop", "redact"].map((a) => h("option", { value: a, selected: a === rule.action }, a)))),
    h("td", {}, h("input", { class: "rule-replacement", value: rule.replacement ?? "", placeholder: "(redacted)", "aria-label": "Replacement" })),
    h("td", {}, h("button", { type: "button", class: "ghost", title: "Remove", "aria-label": "Remove", onclick: (e) => e.target.closest("tr").remove() }, "✕")));
}

function readRules(tbody) {
  return [...tbody.querySelectorAll("tr.rule")].map((row) => {
    const rule = {
      enabled: row.querySelector(".rule-enabled").checked,
      bucket_prefix: row.querySelector(".rule-prefix").value,
      field: row.querySelector(".rule-field").value,
      pattern: row.querySelector(".rule-pattern").value,
      action: row.querySelector(".rule-action").value,
    };
    const replacement = row.querySelector(".rule-replacement").value;
    if (rule.action === "redact" && replacement) rule.replacement = replacement;
    return rule;
  });
}

function previewResult(result) {
  return h("div", { id: "preview-result" },
    h("p", { id: "preview-counts" }, `Of ${result.checked.toLocaleString()} events stored in the last 24 hours, these rules would drop ${result.dropped.toLocaleString()} and redact ${result.redacted.toLocaleString()}${result.truncated ? " (only the newest were checked)" : ""}.`),
    result.samples.length
      ? h("table", { class: "table", id: "preview-samples" },
        h("thead", {}, h("tr", {}, ["Bucket", "Time", "Action", "Field", "Value"].map((t) => h("th", {}, t)))),
        h("tbody", {}, result.samples.map((s) => h("tr", {}, h("td", {}, s.bucket), h("td", { class: "nowrap" }, dateTime(s.timestamp)), h("td", {}, s.action), h("td", {}, s.field ?? ""), h("td", {}, shorten(typeof s.value === "string" ? s.value : JSON.stringify(s.value ?? ""), 80))))))
      : null);
}

const localInput = (d) => localIso(d).slice(0, 16);

/** Draws the Privacy view. */
export async function render(root) {
  const [settings, buckets] = await Promise.all([loadSettings(true), api("buckets/")]);
  const saved = Array.isArray(settings.privacy_filters);
  const tbody = h("tbody", { id: "rule-rows" }, (saved ? settings.privacy_filters : DEFAULT_RULES).map(ruleRow));
  const message = h("p", { class: "error-text", id: "rules-error", hidden: true });
  const preview = h("div", { id: "preview" });
  const fail = (err) => {
    message.textContent = err.message;
    message.hidden = false;
  };
  const save = async () => {
    message.hidden = true;
    try {
      const rules = readRules(tbody);
      await api("settings/privacy_filters", { method: "POST", body: rules });
      settings.privacy_filters = rules;
      toast(`Saved ${rules.length} privacy rules`);
    } catch (err) {
      fail(err);
    }
  };
  const runPreview = async () => {
    message.hidden = true;
    try {
      preview.replaceChildren(previewResult(await api("privacy/preview", { method: "POST", body: { filters: readRules(tbody) } })));
    } catch (err) {
      fail(err);
    }
  };

  const now = new Date();
  const from = h("input", { type: "datetime-local", id: "forget-start", value: localInput(new Date(now.getTime() - 15 * 60_000)), "aria-label": "From" });
  const to = h("input", { type: "datetime-local", id: "forget-end", value: localInput(now), "aria-label": "To" });
  const ids = Object.keys(buckets).sort();
  const choice = h("select", { id: "forget-buckets", multiple: true, size: Math.min(6, Math.max(2, ids.length)), "aria-label": "Only these buckets" }, ids.map((id) => h("option", { value: id }, id)));
  const forgetResult = h("p", { id: "forget-result", class: "muted" });
  const forget = async () => {
    const start = new Date(from.value);
    const end = new Date(to.value);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) return toast("Choose a start before the end", "error");
    const chosen = [...choice.selectedOptions].map((o) => o.value);
    const what = chosen.length ? chosen.join(", ") : "every bucket";
    if (!(await confirmDialog("Forget this time?", `Everything recorded from ${dateTime(start)} to ${dateTime(end)} in ${what} is deleted for good.`, "Forget"))) return;
    try {
      const body = { start: start.toISOString(), end: end.toISOString(), ...(chosen.length ? { buckets: chosen } : {}) };
      const r = await api("forget", { method: "POST", body });
      forgetResult.textContent = `Forgotten: ${r.events_deleted} events deleted, ${r.events_trimmed} cut at the edges.`;
    } catch (err) {
      toast(`Forget failed: ${err.message}`, "error");
    }
  };

  root.replaceChildren(
    h("div", { class: "view-header" }, h("div", {}, h("h1", {}, "Privacy"), h("div", { class: "muted" }, "What may be stored, and forgetting what was."))),
    h("section", { class: "card" },
      h("h3", {}, "Filters"),
      h("p", { class: "muted" }, "Every event is checked before it is stored, from the built-in watchers, other watchers and imports. A rule applies to buckets whose id starts with its prefix; it searches its pattern (a regular expression) in the event's field (a dotted path such as title or url) and drops the event or replaces the field's value."),
      saved ? null : h("p", { class: "muted", id: "rules-default" }, "No rules of your own yet: events from private browsing windows are not stored."),
      h("table", { class: "table rules" },
        h("thead", {}, h("tr", {}, ["On", "Bucket prefix", "Field", "Pattern", "Action", "Replacement", ""].map((t) => h("th", {}, t)))),
        tbody),
      message,
      h("div", { class: "card-row" },
        h("span", { class: "controls" },
          h("button", { type: "button", id: "add-rule", onclick: () => tbody.append(ruleRow({ enabled: true, action: "redact" })) }, "Add rule"),
          h("button", { type: "button", id: "preview-rules", onclick: runPreview }, "Preview on the last 24 hours")),
        h("button", { type: "button", class: "primary", id: "save-rules", onclick: save }, "Save rules")),
      preview),
    h("section", { class: "card" },
      h("h3", {}, "Forget a time range"),
      h("p", { class: "muted" }, "Deletes what was recorded in the range (events reaching into it are cut at its edges) and gives the space back."),
      h("div", { class: "form-grid" },
        h("label", { for: "forget-start" }, "From"), from,
        h("label", { for: "forget-end" }, "To"), to,
        h("label", { for: "forget-buckets" }, "Only these buckets"), choice),
      h("div", { class: "card-row" }, forgetResult, h("button", { type: "button", class: "danger", id: "forget", onclick: forget }, "Forget…"))),
  );
}
