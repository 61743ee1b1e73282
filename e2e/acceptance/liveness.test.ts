// Liveness (docs/semantics.md "Waiting never deadlocks"): calls blocked on their children must not hold
// the capacity their children need. An executor offering 4 GB runs 4 parents of 1 GB each; each
// parent then calls a 1 GB child. A blocked container keeps its memory, so unless the scheduler
// keeps room for children (or otherwise breaks the cycle), no child can ever be placed and every
// request waits forever. Found by `npm run chaos` (100 requests at once, no kills: all 100 stuck).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";
import { deployment, lines, waitFor, type Deployment } from "../harness/processes.js";
import { detail } from "./http.js";

const APPS = new URL("./apps.ts", import.meta.url).pathname.replace("/dist/", "/");
let d: Deployment;

before(async () => {
  d = await deployment();
  await d.startServer();
  await d.startExecutor(["--memory", "4"]);
  await deploy(APPS, new TributaryClient({ server: d.url, apiKey: "" }));
});

after(async () => {
  await d?.cleanup();
});

describe("liveness", () => {
  it(
    "as many blocked parents as the executor has memory for still get their children run",
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(d.dir, "work-"));
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${d.url}/applications/acc_gated_parent`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(dir),
        });
        ids.push(((await res.json()) as { request_id: string }).request_id);
      }
      await waitFor("4 parents running", () => lines(join(dir, "gated-parent-started")).length === 4, 20_000);
      writeFileSync(join(dir, "go"), "");
      const end = Date.now() + 20_000;
      const statuses = new Map<string, string>();
      while (Date.now() < end && [...statuses.values()].filter((s) => s === "succeeded").length < 4) {
        for (const id of ids) statuses.set(id, (await detail(d.url, "acc_gated_parent", id)).status);
        await new Promise((r) => setTimeout(r, 200));
      }
      const stuck = await Promise.all(
        ids.map(async (id) =>
          (await detail(d.url, "acc_gated_parent", id)).function_calls
            .filter((c) => c.status === "pending")
            .map((c) => c.function_name),
        ),
      );
      assert.deepEqual(
        [...statuses.values()],
        ["succeeded", "succeeded", "succeeded", "succeeded"],
        `pending calls per request after 20 s: ${JSON.stringify(stuck)}`,
      );
    },
  );
});
