/**
 * Browser code, part 1: building DOM safely, talking to the API, formatting.
 *
 * Kept as a string (String.raw, so regex backslashes survive) rather than compiled TypeScript: the
 * project's tsconfig has no DOM lib, and adding it globally would change the Node typings of every
 * other file. Rules for these strings: no backticks and no dollar-brace (they would end or splice
 * the template), and never innerHTML: every text goes through text nodes or setAttribute, so user
 * data (names, messages, logs, outputs) cannot become markup.
 */
export const DOM_JS = String.raw`
const NS_KEY = "tributary.namespace";
const API_KEY_KEY = "tributary.apiKey";

/** h("a", { href, class, onclick }, ...children): strings become text nodes, never markup. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  appendAll(el, children);
  return el;
}
function appendAll(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) appendAll(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces el's children, skipping null/false like h() does (replaceChildren would print "null"). */
function fill(el, ...children) {
  el.replaceChildren();
  appendAll(el, children);
  return el;
}

function namespace() { return localStorage.getItem(NS_KEY) || "default"; }
function apiKey() { return localStorage.getItem(API_KEY_KEY) || ""; }
function apiBase() { return "/v1/namespaces/" + encodeURIComponent(namespace()); }
function enc(s) { return encodeURIComponent(s); }

class ApiFailure extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** fetch against the namespace's API with the stored key; throws ApiFailure on a non-2xx answer. */
async function apiRaw(path, init) {
  const headers = Object.assign({}, (init && init.headers) || {});
  if (apiKey()) headers.authorization = "Bearer " + apiKey();
  const res = await fetch(apiBase() + path, Object.assign({}, init || {}, { headers }));
  if (!res.ok) {
    let message = res.status + " " + res.statusText;
    try { message = (await res.json()).error.message || message; } catch (e) { /* not a JSON error body */ }
    if (res.status === 401 || res.status === 403) message += " (set the API key above)";
    throw new ApiFailure(res.status, message);
  }
  return res;
}
async function api(path, init) { return (await apiRaw(path, init)).json(); }

function notice(message) {
  const n = document.getElementById("notice");
  n.textContent = message || "";
  n.hidden = !message;
}
function setCrumbs(items) {
  document.getElementById("crumbs").replaceChildren(...items.map(([label, href], i) =>
    h("li", null, i === items.length - 1 ? h("span", { "aria-current": "page" }, label) : h("a", { href }, label))));
  document.title = items.length ? items[items.length - 1][0] + " · Tributary" : "Tributary";
}

function isTerminal(s) { return s === "succeeded" || s === "failed" || s === "cancelled"; }
/** The status word exactly as the API gives it, coloured by class. */
function statusBadge(s) { return h("span", { class: "status status-" + s }, s); }
/** The Tensorlake outcome exactly as the API gives it (JSON): null, "success" or {"failure":…}. */
function outcomeText(o) { return h("code", { class: "outcome" }, JSON.stringify(o === undefined ? null : o)); }
function fmtTime(ms) { return ms ? new Date(ms).toLocaleString() : "—"; }
function fmtMs(ms) {
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(2) + " s";
  const m = Math.floor(ms / 60000);
  return m + "m " + String(Math.round((ms % 60000) / 1000)).padStart(2, "0") + "s";
}
function fmtDuration(start, end) {
  if (!start) return "—";
  return end ? fmtMs(end - start) : fmtMs(Date.now() - start) + " so far";
}
function table(headers, rows, label) {
  return h("table", { "aria-label": label },
    h("thead", null, h("tr", null, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", null, rows));
}
function appHref(app) { return "#/apps/" + enc(app); }
function requestHref(app, id) { return "#/apps/" + enc(app) + "/requests/" + enc(id); }
`;
