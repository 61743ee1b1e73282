/**
 * Messages between the bench driver and the processes it forks (bench/serve.ts), over the IPC
 * channel. Kept apart so both sides type-check against one definition.
 */

/** Driver → child. */
export type ToServe = { t: "stats"; id: number } | { t: "stop" };

/** Child → driver. */
export type FromServe =
  | { t: "ready"; url?: string; pid: number }
  | { t: "stats"; id: number; started: number; reused: number; coldStartsMs: number[]; backend?: string }
  | { t: "error"; message: string };
