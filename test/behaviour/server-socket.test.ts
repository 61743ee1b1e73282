// The behaviour suite once more with the containers' socket channel (the OCI backend's channel),
// run for real with Node child processes: the same semantics must hold over it.
import { after, before } from "node:test";
import { runRemote } from "../../src/client/index.js";
import type { Request } from "../../src/core/request.js";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { defineBehaviourSuite } from "./suite.js";

let cluster: Cluster;
const appOf = new Map<string, string>();

before(async () => {
  cluster = await startCluster({ executor: { containerChannel: "socket" } });
  await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
});
after(async () => {
  await cluster?.stop();
});

defineBehaviourSuite({
  name: "server + executor, socket channel",
  async run(appName, input) {
    const req: Request = await runRemote(appName, input, { server: cluster.server.url });
    appOf.set(req.id, appName);
    return req;
  },
  metrics: async (req) => cluster.client.getMetrics(appOf.get(req.id)!, req.id),
});
