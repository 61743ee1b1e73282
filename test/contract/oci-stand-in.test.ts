// The container contract on the oci backend against the stand-in engine (e2e/oci/fake-engine.ts):
// its channel for real (an engine `run` whose container connects back over its own socket); its
// images, limits and isolation as generated, in oci.test.ts.
import { after, before } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installFakeEngine } from "../../e2e/oci/fake-engine.js";
import { containerContract } from "./suite.js";

const dir = mkdtempSync(join(tmpdir(), "tributary-oci-contract-"));
const engine = installFakeEngine(dir);
const originalPath = process.env.PATH;
// First, so the suite's own `before` (which starts the executor) finds the engine.
before(() => void (process.env.PATH = `${engine.bin}:${originalPath}`));
after(() => {
  process.env.PATH = originalPath;
  rmSync(dir, { recursive: true, force: true });
});

containerContract("oci backend, stand-in engine", {
  executor: { backend: "oci", ociEngine: "docker" },
  isolated: true,
  realContainers: false,
  skip: false,
});
