/**
 * The Store contract suite: every adapter (SQLite now, PostgreSQL later) registers it and must pass
 * it unchanged. Each test gets a fresh store from `makeStore`, bounds its own time and closes the
 * store afterwards; the adapter's test file owns any cleanup of files or schemas.
 *
 * @example
 * // src/store/sqlite/sqlite.test.ts
 * storeContract("sqlite", async () => createSqliteStore(freshTempFile()));
 */
import { describe } from "node:test";
import type { Store } from "./types.js";
import { apiKeyContract } from "./contract/api-keys.js";
import { applicationContract } from "./contract/applications.js";
import { attemptContract } from "./contract/attempts.js";
import { callContract } from "./contract/calls.js";
import { cronScheduleContract } from "./contract/cron-schedules.js";
import { dataContract } from "./contract/data.js";
import { eventContract } from "./contract/events.js";
import { requestContract } from "./contract/requests.js";
import { serverContract } from "./contract/servers.js";

/** Registers the Store contract tests (node:test) under `describe(name)`. */
export function storeContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    describe("applications", () => applicationContract(makeStore));
    describe("requests", () => requestContract(makeStore));
    describe("calls", () => callContract(makeStore));
    describe("attempts", () => attemptContract(makeStore));
    describe("events", () => eventContract(makeStore));
    describe("state, metrics, logs, executors, secrets", () => dataContract(makeStore));
    describe("api keys", () => apiKeyContract(makeStore));
    describe("cron schedules", () => cronScheduleContract(makeStore));
    describe("servers and claims", () => serverContract(makeStore));
  });
}
