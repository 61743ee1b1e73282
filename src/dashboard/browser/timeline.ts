/**
 * Browser code: a request's timeline (waterfall). Each function call is a row on one time axis,
 * in call-tree order; on its track:
 *   - `seg-queued`: the call waits to start (created, or due again, but not yet placed);
 *   - `seg-attempt`: one bar per attempt, coloured by its status (a failed one stays visible);
 *   - `seg-wait`: over an attempt, the stretches while its child calls run (the attempt waits on them);
 *   - `seg-backoff`: after a failed attempt, the retry delay before the call is due again (from the
 *     `attempt:failed` event's `retry_in_ms`; without it the whole gap to the next attempt).
 * Positions are percentages of the request's span, so the drawing needs no measuring; they are set
 * through the CSSOM (el.style), which the page's CSP allows where a `style` attribute would be
 * refused. Running things end at "now" and grow on the next redraw.
 */
import type { FunctionCallInfo } from "../../core/api.js";
import { fmtMs, h } from "./dom.js";
import { attemptUsageText } from "./usage-view.js";

/** Retry delays announced by `attempt:failed` events, by `${call id}#${attempt number}`. */
export type RetryDelays = ReadonlyMap<string, number>;

export function retryKey(callId: string, attempt: number): string {
  return `${callId}#${attempt}`;
}

/** Rows drawn at most: a fan-out of thousands stays readable (and quick) as its first rows. */
const MAX_ROWS = 300;

interface Span {
  from: number;
  to: number;
}

/** Each call's children (roots under null: no parent, or a parent not in the list). */
function childrenOf(calls: readonly FunctionCallInfo[]): Map<string | null, FunctionCallInfo[]> {
  const ids = new Set(calls.map((c) => c.id));
  const kids = new Map<string | null, FunctionCallInfo[]>();
  for (const c of calls) {
    const parent = c.parent_id && ids.has(c.parent_id) ? c.parent_id : null;
    const siblings = kids.get(parent);
    if (siblings) siblings.push(c);
    else kids.set(parent, [c]);
  }
  for (const siblings of kids.values()) siblings.sort((a, b) => a.created_at - b.created_at);
  return kids;
}

/** The first `max` calls in tree order (parents before children, siblings by creation), with depth. */
function ordered(
  kids: ReadonlyMap<string | null, FunctionCallInfo[]>,
  max: number,
): { call: FunctionCallInfo; depth: number }[] {
  const out: { call: FunctionCallInfo; depth: number }[] = [];
  const walk = (parent: string | null, depth: number): void => {
    for (const c of kids.get(parent) ?? []) {
      if (out.length >= max) return;
      out.push({ call: c, depth });
      walk(c.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The union of spans, clipped to `within`, in order. */
function unionWithin(spans: Span[], within: Span): Span[] {
  const clipped = spans
    .map((s) => ({ from: Math.max(s.from, within.from), to: Math.min(s.to, within.to) }))
    .filter((s) => s.to > s.from)
    .sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of clipped) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

/** A tick step of 1, 2 or 5 × 10^k ms giving at most about eight ticks over `span`. */
function tickStep(span: number): number {
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) if (span / (m * p) <= 8) return m * p;
}

/**
 * The timeline of `calls` as an element (`#timeline-chart`), `now` ending what still runs.
 *
 * @example
 * section.replaceChildren(timeline(detail.function_calls, delays, Date.now()));
 */
export function timeline(calls: readonly FunctionCallInfo[], delays: RetryDelays, now: number): HTMLElement {
  if (!calls.length) return h("p", { class: "muted" }, "No function call yet.");
  // Loops, not Math.min(...spread): a request can have tens of thousands of calls.
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const c of calls) {
    t0 = Math.min(t0, c.created_at);
    t1 = Math.max(t1, c.finished_at ?? now);
    for (const a of c.attempts) t1 = Math.max(t1, a.finished_at ?? now);
  }
  const span = Math.max(1, t1 - t0);
  const pct = (ms: number): string => `${((ms / span) * 100).toFixed(3)}%`;
  const seg = (cls: string, s: Span, title: string, attrs: Record<string, string> = {}, label = ""): HTMLElement => {
    const el = h("div", { class: `seg ${cls}`, title, ...attrs }, label);
    el.style.left = pct(s.from - t0);
    el.style.width = pct(s.to - s.from);
    return el;
  };

  const kids = childrenOf(calls);
  const shown = ordered(kids, MAX_ROWS);
  const rows = shown.map(({ call: c, depth }) => {
    const segs: HTMLElement[] = [];
    const end = c.finished_at ?? now;
    const attempts = [...c.attempts].sort((a, b) => a.number - b.number);
    const firstStart = attempts[0]?.started_at ?? end;
    if (firstStart > c.created_at)
      segs.push(
        seg(
          "seg-queued",
          { from: c.created_at, to: firstStart },
          `pending ${fmtMs(firstStart - c.created_at)}${c.pending_reason ? `: ${c.pending_reason}` : ""}`,
        ),
      );
    const children = kids.get(c.id) ?? [];
    attempts.forEach((a, i) => {
      const bar: Span = { from: a.started_at, to: a.finished_at ?? now };
      const why = a.failure_reason ? ` (${a.failure_reason})` : "";
      const used = attemptUsageText(a);
      segs.push(
        seg(
          `seg-attempt attempt-${a.status}`,
          bar,
          `attempt #${a.number} ${a.status}${why}, ${fmtMs(bar.to - bar.from)}${used ? ` (${used})` : ""}`,
          { "data-attempt": String(a.number), "data-status": a.status },
          `#${a.number}`,
        ),
      );
      const waits = unionWithin(
        children.map((k) => ({ from: k.created_at, to: k.finished_at ?? now })),
        bar,
      );
      for (const w of waits) segs.push(seg("seg-wait", w, `waiting on child calls, ${fmtMs(w.to - w.from)}`));
      if (a.status !== "failed" || a.finished_at === null) return;
      // After a failed attempt: the backoff, then the wait to be placed again (or, with no next
      // attempt yet, the backoff still running).
      const next = attempts[i + 1]?.started_at ?? (c.status === "pending" ? now : null);
      if (next === null || next <= a.finished_at) return;
      const delay = delays.get(retryKey(c.id, a.number));
      const backoffEnd = delay === undefined ? next : Math.min(next, a.finished_at + delay);
      const label = delay === undefined ? "backoff and queue" : `retry backoff ${fmtMs(delay)}`;
      segs.push(seg("seg-backoff", { from: a.finished_at, to: backoffEnd }, label));
      if (next > backoffEnd)
        segs.push(seg("seg-queued", { from: backoffEnd, to: next }, `pending ${fmtMs(next - backoffEnd)}`));
    });
    const label = h("div", { class: "tl-label", title: `${c.id} (${c.status})` }, c.function_name);
    label.style.paddingLeft = `${depth * 14}px`;
    return h(
      "div",
      { class: "tl-row", "data-call": c.id, "data-function": c.function_name },
      label,
      h("div", { class: "tl-track" }, segs),
    );
  });

  const step = tickStep(span);
  const ticks: HTMLElement[] = [];
  for (let t = 0; t <= span; t += step) {
    const tick = h("span", { class: "tl-tick" }, t === 0 ? "0" : `+${fmtMs(t)}`);
    tick.style.left = pct(t);
    ticks.push(tick);
  }
  return h(
    "div",
    { id: "timeline-chart", class: "timeline", role: "figure", "aria-label": "Timeline of calls and attempts" },
    h(
      "div",
      { class: "tl-row tl-axis" },
      h("div", { class: "tl-label muted" }, "time"),
      h("div", { class: "tl-track" }, ticks),
    ),
    rows,
    calls.length > shown.length
      ? h(
          "p",
          { class: "muted" },
          `The first ${shown.length} of ${calls.length} calls; the call tree below lists them all.`,
        )
      : null,
    h(
      "div",
      { class: "tl-legend muted" },
      h("span", { class: "seg-key seg-queued" }),
      "pending ",
      h("span", { class: "seg-key seg-attempt attempt-succeeded" }),
      "attempt ",
      h("span", { class: "seg-key seg-attempt attempt-failed" }),
      "failed attempt ",
      h("span", { class: "seg-key seg-wait" }),
      "waiting on child calls ",
      h("span", { class: "seg-key seg-backoff" }),
      "retry backoff",
    ),
  );
}
