/**
 * Browser code: building DOM safely, and the formats every view shares.
 *
 * Never innerHTML (nor outerHTML, insertAdjacentHTML, document.write): every text goes through text
 * nodes or setAttribute, so user data (names, messages, logs, outputs) cannot become markup.
 */
import type { AttemptStatus, Outcome, Status } from "../../core/status.js";

/** What h() and fill() accept as children: null, undefined and false are skipped. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** An attribute value; a function is an event listener and its key must start with "on". */
export type AttrValue = string | number | boolean | null | undefined | ((ev: Event) => void);

/**
 * h("a", { href, class, onclick }, ...children): strings become text nodes, never markup. `class`
 * sets className, `value` sets the property (inputs, selects, progress bars), `true` is an empty
 * attribute, and null/undefined/false leave the attribute out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, AttrValue> | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") {
      if (!k.startsWith("on")) throw new TypeError(`h(): a function for "${k}", which is not an event`);
      el.addEventListener(k.slice(2), v);
    } else if (k === "class") el.className = String(v);
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  appendAll(el, children);
  return el;
}

function appendAll(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) appendAll(el, c as readonly Child[]);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces el's children, skipping null/false like h() does (replaceChildren would print "null"). */
export function fill<E extends Element>(el: E, ...children: Child[]): E {
  el.replaceChildren();
  appendAll(el, children);
  return el;
}

/** The page's element with this id; throws when the page lacks it or it has another type. */
export function byId<E extends HTMLElement>(id: string, type: new () => E): E {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no <${type.name}> #${id}`);
  return el;
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}

/** The status word exactly as the API gives it, coloured by class. */
export function statusBadge(s: Status | AttemptStatus): HTMLSpanElement {
  return h("span", { class: `status status-${s}` }, s);
}

/** The Tensorlake outcome exactly as the API gives it (JSON): null, "success" or {"failure":…}. */
export function outcomeText(o: Outcome | undefined): HTMLElement {
  return h("code", { class: "outcome" }, JSON.stringify(o === undefined ? null : o));
}

export function fmtTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toLocaleString() : "—";
}

export function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60000);
  return `${m}m ${String(Math.round((ms % 60000) / 1000)).padStart(2, "0")}s`;
}

/** "1.20 s" for a finished span, "3.40 s so far" for a running one, "—" before it starts. */
export function fmtDuration(start: number | null | undefined, end: number | null | undefined): string {
  if (!start) return "—";
  return end ? fmtMs(end - start) : `${fmtMs(Date.now() - start)} so far`;
}

export function table(headers: readonly string[], rows: Child, label: string): HTMLTableElement {
  return h(
    "table",
    { "aria-label": label },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headers.map((x) => h("th", { scope: "col" }, x)),
      ),
    ),
    h("tbody", null, rows),
  );
}

export function appHref(app: string): string {
  return `#/apps/${enc(app)}`;
}

export function requestHref(app: string, id: string): string {
  return `#/apps/${enc(app)}/requests/${enc(id)}`;
}
