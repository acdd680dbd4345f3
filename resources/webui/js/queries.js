// The canonical queries (as aw-webui builds them): window events while not AFK, categorized; browser time
// only while a browser window is focused. One statement per line, valid in both query dialects.

const BROWSER_APPS = {
  chrome: ["Google-chrome", "chrome.exe", "Chromium", "Google Chrome", "Chromium-browser", "Chromium-browser-chromium",
    "Google-chrome-beta", "Google-chrome-unstable", "chromium", "google-chrome"],
  firefox: ["Firefox", "firefox.exe", "Firefox Developer Edition", "firefoxdeveloperedition", "Firefox-esr", "Firefox Beta",
    "Nightly", "org.mozilla.firefox", "firefox", "Navigator"],
  opera: ["opera.exe", "Opera"],
  brave: ["Brave-browser", "brave.exe", "Brave Browser"],
  edge: ["msedge.exe", "Microsoft-edge", "Microsoft Edge"],
  vivaldi: ["Vivaldi-stable", "Vivaldi-snapshot", "vivaldi.exe", "Vivaldi"],
  arc: ["Arc", "Arc.exe"],
  orion: ["Orion"],
  yandex: ["Yandex", "browser.exe"],
  zen: ["Zen Browser", "zen", "zen.exe"],
  floorp: ["Floorp", "floorp", "floorp.exe"],
};
const ALL_BROWSER_APPS = [...new Set(Object.values(BROWSER_APPS).flat())];

const str = JSON.stringify;

/** The window app names of the browser a web-watcher bucket (aw-watcher-web-<browser>_<host>) reports on. */
export function browserApps(bucketId) {
  const m = /^aw-watcher-web-([a-z]+)/i.exec(bucketId);
  return (m && BROWSER_APPS[m[1].toLowerCase()]) || ALL_BROWSER_APPS;
}

/** Window events of `host` while not AFK, categorized, in the variable `events`. */
export function canonicalEvents(host, rules) {
  return [
    `events = flood(query_bucket(find_bucket("aw-watcher-window_", ${str(host)})));`,
    `not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_", ${str(host)})));`,
    `not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);`,
    `events = filter_period_intersect(events, not_afk);`,
    `events = categorize(events, ${str(rules)});`,
  ];
}

/** Browser tab events of the given web-watcher buckets, counted only while that browser had the focus. */
function browserEvents(webBuckets) {
  const lines = [`browser_events = [];`];
  webBuckets.forEach((id, i) => {
    lines.push(
      `web_${i} = flood(query_bucket(${str(id)}));`,
      `focus_${i} = filter_keyvals(events, "app", ${str(browserApps(id))});`,
      `web_${i} = filter_period_intersect(web_${i}, focus_${i});`,
      `browser_events = concat(browser_events, web_${i});`,
    );
  });
  lines.push(`browser_events = split_url_events(browser_events);`);
  return lines;
}

/**
 * Everything the Activity view shows, computed over the whole period in one timeperiod, so every total
 * and top list equals the whole-period query (a sum of per-bar top lists would miss a title that is never
 * in a single day's top). Its bars come from the same events, cut at the bars' edges on the server
 * (`merge_events_by_periods`, given the bars as timeperiod strings): they add up to the period's total exactly,
 * at the cost of one pass. `limit` cuts the lists the view shows only the head of; with `withEvents` the
 * period's active events come along in time order (the day view's strip).
 */
export function summaryQuery(host, rules, webBuckets, bars, { limit = 50, withEvents = false } = {}) {
  const lines = [
    ...canonicalEvents(host, rules),
    // Apps and categories are totalled from the (far fewer) per-title totals: the same sums, less work.
    `by_title = merge_events_by_keys(events, ["app", "title", "$category"]);`,
    `titles = limit_events(sort_by_duration(by_title), ${limit});`,
    `apps = merge_events_by_keys(by_title, ["app", "$category"]);`,
    `cats = merge_events_by_keys(by_title, ["$category"]);`,
    `bars = merge_events_by_periods(events, ${str(bars)}, ["$category"]);`,
    `duration = sum_durations(events);`,
  ];
  let browser = `"domains": [], "urls": []`;
  if (webBuckets.length) {
    lines.push(
      ...browserEvents(webBuckets),
      `domains = limit_events(sort_by_duration(merge_events_by_keys(browser_events, ["$domain"])), ${limit});`,
      `urls = limit_events(sort_by_duration(merge_events_by_keys(browser_events, ["url", "title"])), ${limit});`,
    );
    browser = `"domains": domains, "urls": urls`;
  }
  const events = withEvents ? `, "events": sort_by_timestamp(events)` : "";
  lines.push(`RETURN = {"apps": apps, "titles": titles, "cats": cats, "bars": bars, "duration": duration, ${browser}${events}};`);
  return lines;
}
