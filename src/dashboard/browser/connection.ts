/**
 * Browser code: the connection settings (namespace in localStorage; the API key in sessionStorage,
 * so it is forgotten with the tab and never written to disk), calls to the namespace's JSON API,
 * and the page chrome every view uses (notice line, breadcrumbs).
 */
import type { ErrorBody } from "../../core/api.js";
import { byId, h } from "./dom.js";

export const NS_KEY = "tributary.namespace";
export const API_KEY_KEY = "tributary.apiKey";

export function namespace(): string {
  return localStorage.getItem(NS_KEY) || "default";
}

export function apiKey(): string {
  return sessionStorage.getItem(API_KEY_KEY) || "";
}

/** Stores the key for this tab only; an empty one removes it. */
export function setApiKey(key: string): void {
  if (key) sessionStorage.setItem(API_KEY_KEY, key);
  else sessionStorage.removeItem(API_KEY_KEY);
}

export function apiBase(): string {
  return `/v1/namespaces/${encodeURIComponent(namespace())}`;
}

/** A non-2xx answer of the API, with the server's own message when it sent one. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

/** fetch against the namespace's API with the stored key; throws ApiFailure on a non-2xx answer. */
export async function apiRaw(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (apiKey()) headers.set("authorization", `Bearer ${apiKey()}`);
  const res = await fetch(apiBase() + path, { ...init, headers });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as ErrorBody).error.message || message;
    } catch {
      // not a JSON error body: keep the status line
    }
    if (res.status === 401 || res.status === 403) message += " (set the API key above)";
    // The server says a key is needed: ask for it where it is entered.
    if (res.status === 401) document.getElementById("key")?.focus();
    throw new ApiFailure(res.status, message);
  }
  return res;
}

/**
 * The JSON answer of `path`, typed by the caller with a shape from src/core/api.ts. The cast is the
 * one trust point: the server builds these answers with `satisfies` against the same types.
 */
export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await apiRaw(path, init)).json()) as T;
}

/** Shows a message in the alert line under the header; an empty one hides it. */
export function notice(message: string): void {
  const n = byId("notice", HTMLDivElement);
  n.textContent = message;
  n.hidden = !message;
}

export function showError(e: unknown): void {
  notice(e instanceof Error && e.message ? e.message : String(e));
}

/** Breadcrumbs as [label, href] pairs; the last one is the current page (and the title). */
export function setCrumbs(items: readonly (readonly [label: string, href: string])[]): void {
  byId("crumbs", HTMLOListElement).replaceChildren(
    ...items.map(([label, href], i) =>
      h("li", null, i === items.length - 1 ? h("span", { "aria-current": "page" }, label) : h("a", { href }, label)),
    ),
  );
  const last = items[items.length - 1];
  document.title = last ? `${last[0]} · Tributary` : "Tributary";
}
