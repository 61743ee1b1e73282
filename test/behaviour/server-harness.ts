// Runs the behaviour suite against a real server and executor started with `options`: every call in
// its own container process, journaled in SQLite, streamed over SSE.
import { after, before } from "node:test";
import { runRemote } from "../../src/client/index.js";
import type { Request } from "../../src/core/request.js";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { defineBehaviourSuite } from "./suite.js";

export function serverBehaviourSuite(name: string, options: Parameters<typeof startCluster>[0] = {}): void {
  let cluster: Cluster;
  const appOf = new Map<string, string>();
  before(async () => {
    cluster = await startCluster(options);
    await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
  });
  after(async () => {
    await cluster?.stop();
  });
  defineBehaviourSuite({
    name,
    // Every function's first call starts a container process, one after another down a call tree:
    // the instanceof test starts four (parent, then three children), each ~3-5 s on two cores
    // under load, and timed out at 20 s with a correct outcome (reproduced with the test and 18
    // busy loops sharing one core: 4/4 timed out). runLocal starts no process and keeps 20 s.
    testTimeoutMs: 60_000,
    async run(appName, input) {
      const req: Request = await runRemote(appName, input, { server: cluster.server.url });
      appOf.set(req.id, appName);
      return req;
    },
    metrics: async (req) => cluster.client.getMetrics(appOf.get(req.id)!, req.id),
  });
}
