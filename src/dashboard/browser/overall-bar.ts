/**
 * Browser code: a request's overall progress bar — its `progress.fraction` (0–1) aggregated over
 * the call tree by the server, from request metadata or the stream's progress events. It shows the
 * highest fraction seen: snapshots may arrive out of order, and the server's figure never goes
 * backwards while the request runs.
 */
import { h } from "./dom.js";

export interface OverallBar {
  /** The `<div class="overall">` holding the bar and its percentage. */
  el: HTMLElement;
  /** A fraction from metadata or a progress event; lower ones than shown are ignored. */
  set(fraction: number): void;
  /** The request succeeded: 100 %. */
  complete(): void;
}

/** `id` names the `<progress>`; its text is `${id}-text`. */
export function overallBar(id: string, label: string): OverallBar {
  const bar = h("progress", { id, max: "1", value: "0", "aria-label": label });
  const text = h("span", { id: `${id}-text`, class: "overall-text" }, "—");
  let shown = -1;
  const set = (fraction: number): void => {
    if (!Number.isFinite(fraction)) return;
    const f = Math.min(1, Math.max(0, fraction));
    if (f <= shown) return;
    shown = f;
    bar.value = f;
    text.textContent = `${Math.floor(f * 100)} %`;
  };
  return {
    el: h("div", { class: "progress overall" }, h("span", { class: "muted" }, label), bar, text),
    set,
    complete: () => set(1),
  };
}
