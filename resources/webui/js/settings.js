// Dashboard settings, stored through /api/0/settings under the keys aw-webui uses.

import { api } from "./api.js";
import { defaultCategories } from "./categories.js";

export const DEFAULTS = { startOfDay: "04:00", startOfWeek: "Monday", theme: "light" };

let cache = null;

/** All settings (fetched once per page load, one request for callers at once; `reload` refetches). */
export function loadSettings(reload = false) {
  if (!cache || reload) {
    const asked = api("settings").then((all) => all || {});
    asked.catch(() => cache === asked && (cache = null)); // asked again next time
    cache = asked;
  }
  return cache;
}

/** A setting's value, or the dashboard's default when unset. */
export async function setting(key) {
  const all = await loadSettings();
  if (all[key] !== undefined && all[key] !== null) return all[key];
  if (key === "classes") return defaultCategories();
  return DEFAULTS[key];
}

/** Whether the user has saved categories (else the defaults are shown, and saved on the first edit). */
export async function hasSavedCategories() {
  const all = await loadSettings();
  return Array.isArray(all.classes);
}

/** Saves one setting. */
export async function saveSetting(key, value) {
  await api("settings/" + encodeURIComponent(key), { method: "POST", body: value });
  (await loadSettings())[key] = value;
}
