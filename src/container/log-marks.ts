/**
 * Log marks for runs (core/wire/container.ts): while the container runs queued items without
 * waiting for the executor between them, the executor cannot tell from timing which item wrote a
 * line. So the first write of each item to stdout and to stderr is preceded by a line naming it
 * (`LOG_MARK + attemptId`), which the executor reads and never stores.
 *
 * Invariant: a mark always starts a line of its own: when the previous write left a line open, a
 * newline ends it first. Writes that bypass `process.stdout`/`process.stderr` (a child process's
 * inherited descriptors, `fs.writeSync(1, …)`) are not marked: they go to the item last marked.
 */
import { LOG_MARK } from "../core/wire/container.js";

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

/** The item whose output is being written now (null: not in a run, nothing is marked). */
let current: string | null = null;

/** Sets the item of a run that runs now (null when none does). */
export function markItem(attemptId: string | null): void {
  current = attemptId;
}

/** Wraps `process.stdout` and `process.stderr` once, at start-up. */
export function installLogMarks(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as Write;
    let marked: string | null = null;
    let open = false;
    (stream as unknown as { write: Write }).write = (chunk, ...rest) => {
      if (current !== null && marked !== current) {
        write(`${open ? "\n" : ""}${LOG_MARK}${current}\n`);
        marked = current;
        open = false;
      }
      const text = typeof chunk === "string" ? chunk : chunk instanceof Uint8Array ? chunk : null;
      if (text !== null && text.length > 0) {
        const last = typeof text === "string" ? text.charCodeAt(text.length - 1) : text[text.length - 1];
        open = last !== 10;
      }
      return write(chunk, ...rest);
    };
  }
}
