/**
 * Browser code: a request's output as a person can read it — JSON pretty-printed, text as is, other
 * bytes as their size and type — whether read from `…/output` or inlined in `RequestFinished`.
 */
import type { InlineOutput } from "../../core/api.js";
import { apiRaw } from "./connection.js";
import { h } from "./dom.js";

function shown(text: string | null, type: string, bytes: number, id: string): HTMLElement {
  if (text === null)
    return h("p", { class: "muted" }, `${bytes} bytes of ${type || "unknown type"} (not displayable here)`);
  return h("pre", { class: "box", id }, text);
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // show it as sent
  }
}

/** Reads `path` (a request's `…/output`) and renders it; `id` goes on the `<pre>` that holds text. */
export async function fetchOutput(path: string, id: string): Promise<HTMLElement> {
  const res = await apiRaw(path);
  const type = res.headers.get("content-type") ?? "";
  if (/json/i.test(type)) return shown(pretty(await res.text()), type, 0, id);
  if (/^text\//i.test(type)) return shown(await res.text(), type, 0, id);
  return shown(null, type, (await res.arrayBuffer()).byteLength, id);
}

/** Renders an output inlined in `RequestFinished` (JSON as the value, anything else as base64). */
export function inlineOutput(o: InlineOutput, id: string): HTMLElement {
  if (/json/i.test(o.content_type)) return shown(JSON.stringify(o.body, null, 2), o.content_type, 0, id);
  const raw = typeof o.body === "string" ? atob(o.body) : "";
  if (/^text\//i.test(o.content_type)) {
    const text = new TextDecoder().decode(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
    return shown(text, o.content_type, 0, id);
  }
  return shown(null, o.content_type, raw.length, id);
}
