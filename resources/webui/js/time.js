// Periods in the browser's time zone: a day starts at the configured hour (default 04:00), as in aw-webui.

const pad = (n) => String(n).padStart(2, "0");

/** "HH:MM" -> [hours, minutes]; bad input falls back to 04:00. */
export function parseStartOfDay(text) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text || "");
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return [4, 0];
  return [Number(m[1]), Number(m[2])];
}

/** "YYYY-MM-DD" of a local Date. */
export function ymd(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A Date as RFC 3339 with the browser's offset, e.g. 2024-10-05T04:00:00+02:00 (what aw-webui sends). */
export function localIso(d) {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const a = Math.abs(off);
  return `${ymd(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** The calendar date a moment belongs to when days start at `startOfDay`. */
export function logicalDate(now, startOfDay) {
  const [hh, mm] = parseStartOfDay(startOfDay);
  const d = new Date(now);
  if (d.getHours() * 60 + d.getMinutes() < hh * 60 + mm) d.setDate(d.getDate() - 1);
  return ymd(d);
}

function dayStart(dateText, startOfDay) {
  const [y, mo, d] = dateText.split("-").map(Number);
  const [hh, mm] = parseStartOfDay(startOfDay);
  return new Date(y, mo - 1, d, hh, mm, 0, 0);
}

export const PERIODS = ["day", "week", "month", "year"];

/** [start, end) of the period of `kind` containing the date `dateText`. */
export function period(kind, dateText, { startOfDay = "04:00", startOfWeek = "Monday" } = {}) {
  const start = dayStart(dateText, startOfDay);
  if (kind === "week") {
    const first = startOfWeek === "Sunday" ? 0 : 1;
    start.setDate(start.getDate() - ((start.getDay() - first + 7) % 7));
  } else if (kind === "month") {
    start.setDate(1);
  } else if (kind === "year") {
    start.setMonth(0, 1);
  }
  return [start, shift(kind, start, 1)];
}

/** `d` moved by `n` periods of `kind` (calendar arithmetic, so DST changes keep the hour). */
export function shift(kind, d, n) {
  const out = new Date(d);
  if (kind === "day") out.setDate(out.getDate() + n);
  else if (kind === "week") out.setDate(out.getDate() + 7 * n);
  else if (kind === "month") out.setMonth(out.getMonth() + n);
  else out.setFullYear(out.getFullYear() + n);
  return out;
}

/** The bars of a period: hours of a day, days of a week or month, months of a year. */
export function subperiods(kind, start, end) {
  const step = kind === "day" ? (d) => new Date(d.getTime() + 3_600_000) : kind === "year" ? (d) => shift("month", d, 1) : (d) => shift("day", d, 1);
  const out = [];
  for (let s = start; s < end; ) {
    const e = step(s);
    out.push([s, e < end ? e : end]);
    s = e;
  }
  return out;
}

/** The "start/end" timeperiod string the query API takes. */
export function timeperiod(start, end) {
  return `${localIso(start)}/${localIso(end)}`;
}

/** A human title for a period: "Sunday 22 November 2026", "Week of 16 Nov 2026", "November 2026", "2026". */
export function periodTitle(kind, start) {
  if (kind === "day") return start.toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  if (kind === "week") return "Week of " + start.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  if (kind === "month") return start.toLocaleDateString(undefined, { month: "long", year: "numeric" });
  return String(start.getFullYear());
}
