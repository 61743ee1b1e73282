/**
 * The client side of the chaos run: invoke with an Idempotency-Key (retried while the server is
 * down, as a careful client would: the key makes the retry safe), poll until finished, then check
 * each request's output and its side-effect files.
 */
import { join } from "node:path";
import { lines } from "../harness/processes.js";
import type { TreeInput } from "./apps.js";
import type { Kill } from "./monkey.js";
import { rerunCause, type JournaledCall, type RerunVerdict } from "./rerun-cause.js";

export interface Planned {
  input: TreeInput;
  key: string;
  id?: string;
  /** Invoke attempts that failed before the acknowledgement (server down or restarting). */
  invokeRetries: number;
  status?: string;
  failureReason?: string | null;
  output?: unknown;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** POSTs until the server acknowledges with a request id (or `deadline` passes). */
/** A server URL, or a function that picks one per request (a cluster: any server will do). */
export type Target = string | (() => string);
const at = (t: Target): string => (typeof t === "string" ? t : t());

export async function submit(target: Target, p: Planned, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${at(target)}/applications/chaos_tree`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": p.key },
        body: JSON.stringify(p.input),
        signal: AbortSignal.timeout(5_000),
      });
      if (res.ok) {
        p.id = ((await res.json()) as { request_id: string }).request_id;
        return;
      }
    } catch {
      /* server down: retry below */
    }
    p.invokeRetries++;
    await sleep(200);
  }
}

/** Reads the status of every unfinished request until all finished or `deadline` passes. */
export async function pollUntilFinished(
  target: Target,
  all: Planned[],
  deadline: number,
  stillSubmitting: () => boolean,
): Promise<void> {
  for (;;) {
    const open = all.filter((p) => p.id !== undefined && !isTerminal(p.status));
    if (open.length === 0 && !stillSubmitting()) return;
    if (Date.now() > deadline) return;
    for (const p of open) {
      const url = at(target);
      try {
        const res = await fetch(`${url}/applications/chaos_tree/requests/${p.id}`, {
          signal: AbortSignal.timeout(5_000),
        });
        if (!res.ok) continue;
        const d = (await res.json()) as { status: string; failure_reason: string | null };
        // The status is recorded only together with the output, so a server that dies between the
        // two reads leaves the request open for the next pass instead of "succeeded, no output".
        if (d.status === "succeeded") {
          const out = await fetch(`${url}/applications/chaos_tree/requests/${p.id}/output`, {
            signal: AbortSignal.timeout(5_000),
          });
          if (!out.ok) continue;
          p.output = await out.json();
        }
        p.status = d.status;
        p.failureReason = d.failure_reason;
      } catch {
        /* server down or restarting */
      }
    }
    await sleep(300);
  }
}

const isTerminal = (s: string | undefined): boolean => s === "succeeded" || s === "failed" || s === "cancelled";

export const expectedOutput = (input: TreeInput): string[] =>
  Array.from({ length: input.children }, (_, i) => `${input.req}:${i}`);

/** True when the request was acknowledged and finished with exactly the expected output. */
export function delivered(p: Planned): boolean {
  return (
    p.id !== undefined &&
    p.status === "succeeded" &&
    JSON.stringify(p.output) === JSON.stringify(expectedOutput(p.input))
  );
}

export interface Rerun {
  req: string;
  child: number;
  /** When the child first appended "done", and the pids of each completion. */
  firstDoneAt: number;
  pids: number[];
}

/** Children that appended "done" more than once: finished calls that ran again. */
export function reruns(dir: string, p: Planned): Rerun[] {
  const byChild = new Map<number, Array<{ pid: number; at: number }>>();
  for (const l of lines(join(dir, `${p.input.req}.done`))) {
    const [i, pid, at] = l.split(" ").map(Number) as [number, number, number];
    byChild.set(i, [...(byChild.get(i) ?? []), { pid, at }]);
  }
  return [...byChild]
    .filter(([, runs]) => runs.length > 1)
    .map(([child, runs]) => ({ req: p.input.req, child, firstDoneAt: runs[0]!.at, pids: runs.map((r) => r.pid) }));
}

/** How many times children started (restarts of unfinished children are expected under chaos). */
export const starts = (dir: string, p: Planned): number => lines(join(dir, `${p.input.req}.start`)).length;

/**
 * Why a child completed more than once, from the server's journal of its call (found by `seq`: child
 * i is the root call's call at seq i + 1, the same on every replay of the parent) and the monkey's
 * kills; see `rerunCause`.
 */
export async function classifyRerun(
  target: Target,
  p: Planned,
  r: Rerun,
  dir: string,
  kills: Kill[],
): Promise<RerunVerdict> {
  const url = at(target);
  try {
    const res = await fetch(`${url}/applications/chaos_tree/requests/${p.id}`, { signal: AbortSignal.timeout(5_000) });
    const d = (await res.json()) as { function_calls: Array<JournaledCall & { id: string; parent_id: string | null }> };
    const root = d.function_calls.find((c) => c.parent_id === null);
    const call = d.function_calls.find(
      (c) => c.function_name === "chaos_leaf" && c.parent_id === root?.id && c.seq === r.child + 1,
    );
    if (!call?.finished_at) return { kind: "unclassified", note: "unclassified (no such call)" };
    const completions = lines(join(dir, `${p.input.req}.done`))
      .filter((l) => l.startsWith(`${r.child} `))
      .map((l) => ({ pid: Number(l.split(" ")[1]), at: Number(l.split(" ")[2]) }));
    return rerunCause(call, completions, kills);
  } catch (e) {
    return { kind: "unclassified", note: `unclassified (${(e as Error).message})` };
  }
}
