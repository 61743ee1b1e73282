// cgroup v2 support, tested only against a fake cgroup directory in a temp dir: nothing here may
// touch a real cgroup of this machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContainerCgroup, detectCgroup } from "./cgroup.js";
import { chooseEnforcement, ENFORCEMENT_LABEL } from "./enforcement.js";
import { ContainerLimits } from "./container-limits.js";
import { resolveUnits, GB } from "./units.js";

function fakeRoot(controllers = "cpuset cpu io memory pids", subtree = "cpu memory"): string {
  const root = mkdtempSync(join(tmpdir(), "tributary-fake-cgroup-"));
  writeFileSync(join(root, "cgroup.controllers"), controllers + "\n");
  writeFileSync(join(root, "cgroup.subtree_control"), subtree + "\n");
  return root;
}

test("detection is off without a configured root, whatever the machine has", () => {
  assert.deepEqual(detectCgroup(undefined), { usable: false, reason: "no cgroup root configured" });
  assert.deepEqual(chooseEnforcement(undefined, {}), { memory: "heap+rss", cgroupRoot: null, note: null });
});

test("detection accepts a delegated root with memory and cpu enabled for children", () => {
  const root = fakeRoot();
  try {
    assert.deepEqual(detectCgroup(root), { usable: true, root });
    assert.equal(chooseEnforcement(undefined, { TRIBUTARY_CGROUP_ROOT: root }).memory, "cgroup");
    assert.equal(chooseEnforcement(root, {}).cgroupRoot, root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("detection refuses what it cannot use, and says why, without writing", () => {
  const missing = join(tmpdir(), "tributary-no-such-cgroup-root");
  assert.match((detectCgroup(missing) as { reason: string }).reason, /not a writable directory/);
  const plain = mkdtempSync(join(tmpdir(), "tributary-plain-"));
  const noMem = fakeRoot("cpu io pids", "cpu");
  const notEnabled = fakeRoot("cpu memory", "");
  try {
    assert.match((detectCgroup(plain) as { reason: string }).reason, /cgroup\.controllers is missing/);
    assert.match((detectCgroup(noMem) as { reason: string }).reason, /controller memory not offered/);
    assert.match((detectCgroup(notEnabled) as { reason: string }).reason, /memory and cpu not enabled for children/);
    assert.equal(readFileSync(join(notEnabled, "cgroup.subtree_control"), "utf8"), "\n");
    const e = chooseEnforcement(noMem, {});
    assert.equal(e.memory, "heap+rss");
    assert.match(e.note ?? "", /not usable/);
  } finally {
    for (const d of [plain, noMem, notEnabled]) rmSync(d, { recursive: true, force: true });
  }
});

test("a container cgroup gets memory.max, cpu.max and the pid; OOM kills and CPU time are read from it", () => {
  const root = fakeRoot();
  try {
    const cg = createContainerCgroup(root, "c-1234", { memoryBytes: 64 * 2 ** 20, cpu: 1.5 });
    assert.equal(cg.path, join(root, "tributary-c-1234"));
    assert.equal(readFileSync(join(cg.path, "memory.max"), "utf8"), `${64 * 2 ** 20}\n`);
    assert.equal(readFileSync(join(cg.path, "cpu.max"), "utf8"), "150000 100000\n");
    assert.equal(
      existsSync(join(cg.path, "memory.swap.max")),
      false,
      "swap knob written only where the kernel offers it",
    );
    cg.addPid(4242);
    assert.equal(readFileSync(join(cg.path, "cgroup.procs"), "utf8"), "4242\n");
    assert.equal(cg.oomKilled(), false);
    writeFileSync(join(cg.path, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    assert.equal(cg.oomKilled(), true);
    // CPU for usage: cpu.stat's usage_usec (user + system of every process the cgroup ran).
    assert.equal(cg.cpuSeconds(), null, "no cpu.stat: unknown");
    writeFileSync(join(cg.path, "cpu.stat"), "usage_usec 1250000\nuser_usec 1000000\nsystem_usec 250000\n");
    assert.equal(cg.cpuSeconds(), 1.25);
    cg.remove();
    assert.equal(existsSync(cg.path), false);
    assert.throws(() => createContainerCgroup(root, "../escape", { memoryBytes: 1, cpu: 1 }), /invalid cgroup name/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the executor announces its enforcement; a refused cgroup falls back to heap+rss", () => {
  const units = resolveUnits({}, {});
  assert.equal(units.memoryUnitBytes, GB);
  const heap = new ContainerLimits({ units, enforcement: chooseEnforcement(undefined, {}), log: () => {} });
  assert.deepEqual(heap.labels(), { [ENFORCEMENT_LABEL]: "heap+rss" });
  const root = fakeRoot();
  const lines: string[] = [];
  try {
    const cg = new ContainerLimits({ units, enforcement: chooseEnforcement(root, {}), log: (l) => lines.push(l) });
    assert.deepEqual(cg.labels(), { [ENFORCEMENT_LABEL]: "cgroup" });
    const ro = fakeRoot("cpu memory", "");
    chmodSync(ro, 0o500);
    new ContainerLimits({ units, enforcement: chooseEnforcement(ro, {}), log: (l) => lines.push(l) });
    chmodSync(ro, 0o700);
    rmSync(ro, { recursive: true, force: true });
    assert.ok(
      lines.some((l) => l.includes("using heap+rss")),
      lines.join("\n"),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("units: options win over the environment; bad values are refused", () => {
  assert.deepEqual(
    resolveUnits(
      { memoryUnitBytes: 64 * 2 ** 20 },
      { TRIBUTARY_MEMORY_UNIT_BYTES: "1", TRIBUTARY_DISK_UNIT_BYTES: "1048576" },
    ),
    { memoryUnitBytes: 64 * 2 ** 20, diskUnitBytes: 1048576 },
  );
  assert.throws(
    () => resolveUnits({}, { TRIBUTARY_DISK_UNIT_BYTES: "-3" }),
    /TRIBUTARY_DISK_UNIT_BYTES must be a positive integer/,
  );
});

test("with a usable root, each container gets its cgroup; a kernel OOM kill becomes out_of_memory", () => {
  const root = fakeRoot();
  const tmp = mkdtempSync(join(tmpdir(), "tributary-ctmp-"));
  try {
    const limits = new ContainerLimits({
      units: resolveUnits({ memoryUnitBytes: 64 * 2 ** 20 }, {}),
      enforcement: chooseEnforcement(root, {}),
      log: () => {},
    });
    // Only what ContainerLimits touches; the pid is this process (the fake cgroup.procs is a file).
    const c = {
      id: "c-abc",
      pid: process.pid,
      child: { pid: process.pid },
      killReason: null as string | null,
      killDetail: null as string | null,
      kill(r: string) {
        this.killReason ??= r;
      },
    };
    limits.attach(c as never, { memory: 2, cpu: 1, ephemeralDisk: 2 }, tmp);
    const dir = join(root, "tributary-c-abc");
    assert.equal(readFileSync(join(dir, "memory.max"), "utf8"), `${128 * 2 ** 20}\n`);
    assert.equal(readFileSync(join(dir, "cpu.max"), "utf8"), "100000 100000\n");
    assert.equal(readFileSync(join(dir, "cgroup.procs"), "utf8"), `${process.pid}\n`);
    writeFileSync(join(dir, "memory.events"), "oom 1\noom_kill 1\n");
    limits.detach(c as never);
    assert.equal(c.killReason, "out_of_memory");
    assert.match(c.killDetail ?? "", /128\.0 MB \(cgroup\)/);
    assert.equal(existsSync(dir), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});
