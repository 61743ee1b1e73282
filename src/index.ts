/**
 * `tributary`: the programming model, the local runner and the remote client.
 * Invariant: no server code is reachable from here.
 */
export * from "./sdk/index.js";
export { runLocal } from "./local/run-local.js";
export type { RunLocalOptions } from "./local/run-local.js";
export { runRemote } from "./client/run-remote.js";
export type { RunRemoteOptions } from "./client/run-remote.js";
export type { Request, ProgressEvent } from "./core/request.js";
