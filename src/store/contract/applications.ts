/** Contract: applications (versions, lookup, listing, deletion). */
import assert from "node:assert/strict";
import type { Manifest } from "../../core/manifest.js";
import { MANIFEST, storeTest, type MakeStore } from "./fixtures.js";

const manifestNamed = (name: string): Manifest => ({
  ...MANIFEST,
  classes: [{ name, initTimeout: null, methods: ["run"] }],
});

export function applicationContract(makeStore: MakeStore): void {
  storeTest(makeStore, "application versions start at 1 and increment per (namespace, name)", async (s) => {
    assert.equal(await s.createApplicationVersion("ns", "a", manifestNamed("v1"), "bundles/a/1", 10), 1);
    assert.equal(await s.createApplicationVersion("ns", "a", manifestNamed("v2"), "bundles/a/2", 20), 2);
    assert.equal(await s.createApplicationVersion("ns", "b", MANIFEST, "bundles/b/1", 30), 1);
    assert.equal(await s.createApplicationVersion("other", "a", MANIFEST, "bundles/o/1", 40), 1);

    const latest = await s.getApplication("ns", "a");
    assert.deepEqual(latest, {
      namespace: "ns",
      name: "a",
      version: 2,
      manifest: manifestNamed("v2"),
      bundleKey: "bundles/a/2",
      createdAt: 20,
      deletedAt: null,
    });
    assert.deepEqual((await s.getApplication("ns", "a", 1))?.manifest, manifestNamed("v1"));
    assert.equal(await s.getApplication("ns", "a", 3), null);
    assert.equal(await s.getApplication("ns", "missing"), null);

    const list = await s.listApplications("ns");
    assert.deepEqual(
      list.map((a) => [a.name, a.version]),
      [
        ["a", 2],
        ["b", 1],
      ],
    );
    assert.deepEqual(await s.listApplications("nobody"), []);
  });

  storeTest(makeStore, "concurrent deploys of one application get distinct versions", async (s) => {
    const versions = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.createApplicationVersion("ns", "a", MANIFEST, `k${i}`, i)),
    );
    assert.deepEqual(
      [...versions].sort((x, y) => x - y),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
  });

  storeTest(makeStore, "deleted applications are hidden except by explicit version", async (s) => {
    await s.createApplicationVersion("ns", "a", MANIFEST, "k1", 1);
    await s.createApplicationVersion("ns", "a", MANIFEST, "k2", 2);
    await s.createApplicationVersion("ns", "b", MANIFEST, "k3", 3);

    assert.equal(await s.deleteApplication("ns", "a", 100), true);
    assert.equal(await s.getApplication("ns", "a"), null);
    assert.deepEqual(
      (await s.listApplications("ns")).map((a) => a.name),
      ["b"],
    );
    const pinned = await s.getApplication("ns", "a", 1);
    assert.equal(pinned?.deletedAt, 100, "requests pinned to a version still find it");

    assert.equal(await s.deleteApplication("ns", "a", 200), false, "already deleted");
    assert.equal(await s.deleteApplication("ns", "missing", 200), false);

    // Deploying again continues the numbering and makes the application live again.
    assert.equal(await s.createApplicationVersion("ns", "a", MANIFEST, "k4", 300), 3);
    assert.equal((await s.getApplication("ns", "a"))?.version, 3);
    assert.deepEqual(
      (await s.listApplications("ns")).map((a) => [a.name, a.version]),
      [
        ["a", 3],
        ["b", 1],
      ],
    );
  });
}
