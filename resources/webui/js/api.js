// Calls to this server's /api/0 (the only place the dashboard sends requests to).

const TOKEN_KEY = "aw-token";

/** Takes `?token=` from the address once (as aw-webui does), keeps it, and removes it from the address bar. */
export function adoptToken() {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  if (token) {
    localStorage.setItem(TOKEN_KEY, token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
}

function headers(extra = {}) {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

/** An error the server answered with: its message is meant for the user. */
export class ApiError extends Error {
  constructor(status, message, type) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  let type = "HTTPError";
  try {
    const body = await response.json();
    if (body && body.message) message = body.message;
    if (body && body.type) type = body.type;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message, type);
}

/** GET or POST JSON to /api/0/<path>; resolves to the decoded body (null when empty). */
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = headers({ "Content-Type": "application/json" });
  }
  const response = await fetch("/api/0/" + path, init);
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Runs a query (a list of statements) over the given "start/end" timeperiods; one result per period. */
export function query(statements, timeperiods) {
  return api("query/", { method: "POST", body: { query: statements, timeperiods } });
}

/** Downloads /api/0/<path> as a file, with the auth header, reporting bytes received. */
export async function download(path, filename, onProgress) {
  const response = await fetch("/api/0/" + path, { headers: headers() });
  if (!response.ok) throw await failure(response);
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress?.(received);
  }
  const url = URL.createObjectURL(new Blob(chunks, { type: "application/json" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return received;
}

/** Uploads an export file to /api/0/import (multipart, field `buckets.json` as aw-webui does) with progress. */
export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/0/import");
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, "The server could not be reached", "NetworkError"));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
      let message = `${xhr.status} ${xhr.statusText}`;
      try {
        message = JSON.parse(xhr.responseText).message || message;
      } catch {
        // keep the status line
      }
      reject(new ApiError(xhr.status, message, "ImportFailed"));
    };
    const form = new FormData();
    form.append("buckets.json", file, file.name);
    xhr.send(form);
  });
}
