// Categories in aw-webui's `classes` format: {id, name: [path], rule: {type, regex, ignore_case}, data: {color, score}}.

const regex = (pattern, ignoreCase = false) => ({ type: "regex", regex: pattern, ignore_case: ignoreCase });
const none = () => ({ type: null });

/** What a new user starts with (the same tree aw-webui offers, with productivity scores). */
export const DEFAULT_CATEGORIES = [
  { name: ["Work"], rule: regex("Google Docs|libreoffice|ReText"), data: { color: "#2ca02c", score: 10 } },
  { name: ["Work", "Programming"], rule: regex("GitHub|Stack Overflow|BitBucket|Gitlab|vim|Spyder|kate|Ghidra|Scite|Code|PyCharm|IntelliJ|Terminal|Konsole|Alacritty|kitty"), data: { color: "#3b9f4a" } },
  { name: ["Work", "Programming", "ActivityWatch"], rule: regex("ActivityWatch|aw-", true), data: {} },
  { name: ["Work", "Image"], rule: regex("GIMP|Inkscape"), data: {} },
  { name: ["Work", "Video"], rule: regex("Kdenlive"), data: {} },
  { name: ["Work", "Audio"], rule: regex("Audacity"), data: {} },
  { name: ["Work", "3D"], rule: regex("Blender"), data: {} },
  { name: ["Media"], rule: none(), data: { color: "#d62728", score: -5 } },
  { name: ["Media", "Games"], rule: regex("Minecraft|RimWorld|Steam"), data: { color: "#c23bc2" } },
  { name: ["Media", "Video"], rule: regex("YouTube|Plex|VLC|Netflix|mpv"), data: { color: "#e34a33" } },
  { name: ["Media", "Social Media"], rule: regex("reddit|Facebook|Twitter|Instagram|devRant|Mastodon", true), data: { color: "#ff7f0e" } },
  { name: ["Media", "Music"], rule: regex("Spotify|Deezer|Rhythmbox", true), data: { color: "#e377c2" } },
  { name: ["Comms"], rule: none(), data: { color: "#1f77b4", score: 5 } },
  { name: ["Comms", "IM"], rule: regex("Messenger|Telegram|Signal|WhatsApp|Rambox|Slack|Riot|Element|Discord|Nheko|NeoChat|Mattermost"), data: {} },
  { name: ["Comms", "Email"], rule: regex("Gmail|Thunderbird|mutt|alpine|Evolution"), data: {} },
  { name: ["Uncategorized"], rule: none(), data: { color: "#b8bcc2", score: 0 } },
].map((c, i) => ({ id: i, ...c }));

export const UNCATEGORIZED = "Uncategorized";
const UNCATEGORIZED_COLOR = "#b8bcc2";
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

export const pathKey = (name) => name.join(" > ");

/** The `categorize(events, [...])` argument: only categories with a usable regex rule (aw-webui's classes_for_query). */
export function rulesForQuery(classes) {
  return classes
    .filter((c) => c.rule && c.rule.type === "regex" && c.rule.regex)
    .map((c) => [c.name, { type: "regex", regex: c.rule.regex, ignore_case: Boolean(c.rule.ignore_case) }]);
}

/** Lookups by category path: colour and score, inherited from the nearest ancestor that has one. */
export class CategoryIndex {
  constructor(classes) {
    this.byKey = new Map(classes.map((c) => [pathKey(c.name), c]));
    this.topLevel = [...new Set(classes.map((c) => c.name[0]))];
  }

  inherited(name, field) {
    for (let n = name.length; n > 0; n--) {
      const c = this.byKey.get(pathKey(name.slice(0, n)));
      if (c && c.data && c.data[field] !== undefined && c.data[field] !== null && c.data[field] !== "") return c.data[field];
    }
    return undefined;
  }

  color(name) {
    if (!name || name[0] === UNCATEGORIZED) return this.inherited([UNCATEGORIZED], "color") || UNCATEGORIZED_COLOR;
    const own = this.inherited(name, "color");
    if (own) return own;
    const i = this.topLevel.indexOf(name[0]);
    return PALETTE[(i < 0 ? name[0].length : i) % PALETTE.length];
  }

  score(name) {
    const s = Number(this.inherited(name || [], "score"));
    return Number.isFinite(s) ? s : 0;
  }
}
