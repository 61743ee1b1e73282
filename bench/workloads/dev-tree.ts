/**
 * The memory a user sees: `tributary dev` started as the README says, on the examples (plus the
 * bench's `map_items`), measured as its whole process tree (server + executor process, esbuild's
 * service while it runs, every container). Two figures: the tree idle 60 s after start, and its peak
 * during a 10,000-item map.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { processTree } from "../../src/executor/limits/usage.js";
import { rssOf } from "../cluster.js";
import { mb, ms } from "../stats.js";
import type { Workload } from "./context.js";

const BIN = fileURLToPath(new URL("../../../bin/tributary.js", import.meta.url));

/** Summed VmRSS of a process tree, and how many processes it has. */
function treeRss(root: number): { bytes: number; processes: number } {
  let bytes = 0;
  let processes = 0;
  for (const pid of processTree(root)) {
    try {
      const rss = rssOf(pid);
      if (Number.isNaN(rss)) continue; // a zombie has no VmRSS
      bytes += rss;
      processes++;
    } catch {
      /* exited */
    }
  }
  return { bytes, processes };
}

export const devTree: Workload = {
  name: "devtree",
  sqliteOnly: true,
  async run(ctx) {
    const idleMs = ctx.config.quick ? 10_000 : 60_000;
    const n = ctx.config.quick ? 1000 : 10_000;
    const dir = join(ctx.config.workDir, "devtree");
    const entry = join(dir, "app.ts");
    const examples = join(ctx.config.sourceDir, "..", "examples", "all.ts");
    const benchApps = join(ctx.config.sourceDir, "apps.ts");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      entry,
      `export * from ${JSON.stringify(examples)};\nexport { map_items } from ${JSON.stringify(benchApps)};\n`,
    );
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const url = `http://127.0.0.1:${port}`;
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, "dev", entry, "--port", String(port)], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`tributary dev exited: ${out}`);
        if (out.includes("map_items (version")) break;
        if (performance.now() - t0 > 120_000) throw new Error(`tributary dev did not deploy within 120 s: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, idleMs - (performance.now() - t0))));
      const idle = treeRss(child.pid!);
      let peak = idle;
      const sampler = setInterval(() => {
        const now = treeRss(child.pid!);
        if (now.bytes > peak.bytes) peak = now;
      }, 50);
      const t1 = performance.now();
      let wall: number;
      try {
        const res = await fetch(`${url}/applications/map_items?wait=300`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: String(n),
        });
        const text = await res.text();
        if (text.trim() !== String(n)) throw new Error(`map_items returned ${res.status} ${text}`);
        wall = performance.now() - t1;
      } finally {
        clearInterval(sampler);
      }
      const note = `README command (tributary dev) on examples/all.ts + map_items; idle ${idleMs / 1000} s after start: ${idle.processes} processes`;
      return [
        ctx.row({
          workload: "tributary dev process tree",
          figure: `RSS idle ${idleMs / 1000} s after start`,
          value: idle.bytes,
          unit: "bytes",
          shown: mb(idle.bytes),
          target: "≤ 250 MB",
          met: ctx.config.quick ? null : idle.bytes <= 250 * 2 ** 20,
          note,
        }),
        ctx.row({
          workload: `tributary dev, map over ${n} items`,
          figure: "peak RSS of the process tree",
          value: peak.bytes,
          unit: "bytes",
          shown: mb(peak.bytes),
          target: "≤ 600 MB",
          met: n >= 10_000 ? peak.bytes <= 600 * 2 ** 20 : null,
          note: `${peak.processes} processes at the peak; 50 ms samples of summed VmRSS`,
        }),
        ctx.row({
          workload: `tributary dev, map over ${n} items`,
          figure: "wall time",
          value: wall,
          unit: "ms",
          shown: ms(wall),
          target: "≤ 2 s",
          met: n >= 10_000 ? wall <= 2000 : null,
          note: "first map after start: cold containers included",
        }),
      ];
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  },
};
