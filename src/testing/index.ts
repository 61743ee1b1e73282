/**
 * `tributary/testing`: helpers for users' unit tests of applications.
 *
 * @example
 * import { createFakeClock, collectEvents } from "tributary/testing";
 * import { runLocal } from "tributary";
 * const clock = createFakeClock();
 * const req = await runLocal(my_app, "input", { clock });
 * await clock.runUntil(req.finished());
 * console.log((await collectEvents(req)).map((e) => e.kind));
 */
export { createFakeClock } from "./fake-clock.js";
export type { FakeClock } from "./fake-clock.js";
export { collectEvents, eventKinds, attemptsOf } from "./events.js";
export { LocalRequest } from "../local/local-request.js";
export type { RunLocalOptions } from "../local/run-local.js";
