// The sandbox backend's pieces: the bwrap command as written, core pinning, the kernel-limit
// classification, and (where this machine supports it) a real container over the IPC channel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FromContainer } from "../../core/wire/container.js";
import { allowedCpus, CpuAffinity } from "../limits/cpu-affinity.js";
import { dataLimitBytes, kernelLimitFailure, MIN_DATA_LIMIT } from "../limits/kernel-limits.js";
import { sandboxLauncher } from "./sandbox.js";
import { sandboxCommand, type SandboxCommandSpec } from "./sandbox-command.js";
import { detectSandbox, sandboxRuntime, systemEntries } from "./sandbox-host.js";

const spec: SandboxCommandSpec = {
  tools: {
    bwrap: "/usr/bin/bwrap",
    setpriv: "/usr/bin/setpriv",
    taskset: "/usr/bin/taskset",
    prlimit: "/usr/bin/prlimit",
  },
  mode: "root",
  system: [
    { path: "/usr", kind: "dir" },
    { path: "/bin", kind: "symlink", target: "usr/bin" },
    { path: "/etc", kind: "dir" },
  ],
  extraReadOnly: [],
  nodePath: "/usr/bin/node",
  nodeArgs: ["--max-old-space-size=1024"],
  runtime: {
    containerDir: "/x/dist/src/container",
    coreDir: "/x/dist/src/core",
    packageJson: "/data/runtime/package.json",
  },
  bundlePath: "/data/bundles/app_v1.mjs",
  cwd: "/tmp",
  diskBytes: 2 * 2 ** 30,
  devices: [],
  cores: [1],
  dataLimitBytes: 1000,
};

/** The value following `flag` at its first occurrence. */
const after = (args: string[], flag: string, n = 1): string[] => {
  const i = args.indexOf(flag);
  assert.ok(i >= 0, `${flag} is in the command`);
  return args.slice(i + 1, i + 1 + n);
};

test("a root executor's container: namespaces, read-only system dirs, a sized /tmp, dropped to nobody, pinned and limited", () => {
  const { command, args } = sandboxCommand(spec);
  assert.equal(command, "/usr/bin/taskset");
  assert.deepEqual(args.slice(0, 2), ["-c", "1"]);
  assert.deepEqual(after(args, "/usr/bin/prlimit"), ["--data=1000"]);
  for (const f of ["--unshare-pid", "--unshare-ipc", "--die-with-parent"]) assert.ok(args.includes(f), f);
  // No user namespace for root: its uid 65534 would map back to host root, the owner of every root file.
  assert.ok(!args.includes("--unshare-user"));
  assert.deepEqual(after(args, "--ro-bind", 2), ["/usr", "/usr"]);
  assert.deepEqual(after(args, "--symlink", 2), ["usr/bin", "/bin"]);
  assert.deepEqual(after(args, "--size", 4), [String(2 * 2 ** 30), "--perms", "1777", "--tmpfs"]);
  const setpriv = after(args, "/usr/bin/setpriv", 8);
  assert.deepEqual(setpriv.slice(0, 4), ["--reuid", "65534", "--regid", "65534"]);
  assert.ok(setpriv.includes("--no-new-privs"));
  assert.deepEqual(args.slice(-3), [
    "/usr/bin/node",
    "--max-old-space-size=1024",
    "/opt/tributary/dist/src/container/main.js",
  ]);
  // Only the bundle file of this container is mounted, never the bundle directory.
  assert.deepEqual(after(args, "/data/bundles/app_v1.mjs"), ["/bundle/app_v1.mjs"]);
  // Writable mounts: the tmpfs only.
  assert.ok(!args.includes("--bind") && !args.includes("--dev-bind"));
});

test("an unprivileged executor uses a user namespace and no setpriv; no pinning or data limit when not asked", () => {
  const { command, args } = sandboxCommand({
    ...spec,
    mode: "user",
    cores: null,
    dataLimitBytes: null,
    devices: ["/dev/nvidia0"],
    inboxDir: "/data/containers/c-1/inbox",
  });
  assert.equal(command, "/usr/bin/bwrap");
  // The inbox (large inputs) is read-only: the container reads its input, never writes there.
  assert.deepEqual(after(args, "/data/containers/c-1/inbox", 1), ["/inbox"]);
  assert.equal(args[args.indexOf("/data/containers/c-1/inbox") - 1], "--ro-bind");
  assert.ok(args.includes("--unshare-user"));
  assert.ok(!args.includes("/usr/bin/setpriv") && !args.includes("/usr/bin/prlimit"));
  assert.deepEqual(after(args, "--dev-bind-try", 2), ["/dev/nvidia0", "/dev/nvidia0"]);
});

test("an image's container: its assembled root read-only at /, Node through its own loader, tmpfs mount points", () => {
  const { command, args } = sandboxCommand({
    ...spec,
    cores: null,
    dataLimitBytes: null,
    cwd: "/image/app",
    inboxDir: "/data/containers/c-1/inbox",
    root: {
      wrapper: ["/usr/bin/unshare", "--mount", "--", "/bin/sh", "-c", "script", "tributary-root"],
      mountDir: "/data/mnt",
      node: {
        command: [
          "/opt/tributary/node/lib/ld.so",
          "--library-path",
          "/opt/tributary/node/lib",
          "/opt/tributary/node/node",
        ],
        binds: [["/usr/bin/node", "/opt/tributary/node/node"]],
        tools: {
          setpriv: [
            "/opt/tributary/node/lib/ld.so",
            "--library-path",
            "/opt/tributary/node/lib",
            "/opt/tributary/node/setpriv",
          ],
        },
      },
    },
  });
  // The mount namespace comes first, so bwrap clones the one holding the assembled root.
  assert.equal(command, "/usr/bin/unshare");
  assert.equal(args[args.indexOf("tributary-root") + 1], "/usr/bin/bwrap");
  assert.deepEqual(after(args, "--ro-bind", 2), ["/data/mnt", "/"]);
  assert.ok(!args.includes("--symlink"), "no host system entries on an image's root");
  assert.deepEqual(after(args, "/opt/tributary", 0), []);
  assert.deepEqual(args.slice(args.indexOf("/opt/tributary") - 3, args.indexOf("/opt/tributary")), [
    "--perms",
    "0755",
    "--tmpfs",
  ]);
  assert.deepEqual(after(args, "/usr/bin/node"), ["/opt/tributary/node/node"]);
  // The inbox binds onto the mount point every layer has: no --dir on the read-only root.
  assert.deepEqual(after(args, "/data/containers/c-1/inbox"), ["/inbox"]);
  assert.ok(!args.some((a, i) => a === "--dir" && args[i + 1] === "/inbox"));
  assert.deepEqual(after(args, "--chdir"), ["/image/app"]);
  // The image has no setpriv of its own: the host's runs through the same loader, then Node.
  assert.ok(!args.includes("/usr/bin/setpriv"));
  const drop = args.indexOf("/opt/tributary/node/setpriv");
  assert.equal(args[drop - 3], "/opt/tributary/node/lib/ld.so");
  assert.deepEqual(args.slice(args.indexOf("--", drop) + 1, args.indexOf("--", drop) + 2), [
    "/opt/tributary/node/lib/ld.so",
  ]);
});

test("system entries mirror the host: directories bound, symlinks recreated", () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-sys-"));
  try {
    writeFileSync(join(dir, "file"), "");
    const entries = systemEntries([dir, join(dir, "missing"), "/proc/self"]);
    assert.deepEqual(entries[0], { path: dir, kind: "dir" });
    assert.equal(entries.length, 2);
    assert.equal(entries[1]!.kind, "symlink");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cores are handed out least-loaded first and given back; asking for all cores pins nothing", () => {
  assert.deepEqual(allowedCpus("Name:\tnode\nCpus_allowed_list:\t0-2,5\n"), [0, 1, 2, 5]);
  const a = new CpuAffinity([0, 1, 2, 3]);
  const x = a.acquire(1);
  const y = a.acquire(2);
  assert.deepEqual(x, [0]);
  assert.deepEqual(y, [1, 2]);
  assert.deepEqual(a.acquire(0.5), [3]);
  a.release(y);
  assert.deepEqual(a.acquire(1.5), [1, 2]);
  assert.equal(a.acquire(4), null);
  assert.equal(a.acquire(7), null);
});

test("the data limit keeps RSS under 1.25× memory; kernel refusals are recognised as limit failures", () => {
  const GiB = 2 ** 30;
  assert.ok(dataLimitBytes(GiB) + 64 * 2 ** 20 <= 1.25 * GiB);
  assert.equal(dataLimitBytes(64 * 2 ** 20), MIN_DATA_LIMIT);
  assert.equal(
    kernelLimitFailure({ name: "Error", message: "ENOSPC: no space left on device, write", retryable: true }),
    "disk_quota_exceeded",
  );
  assert.equal(
    kernelLimitFailure({ name: "RangeError", message: "Array buffer allocation failed", retryable: true }),
    "out_of_memory",
  );
  assert.equal(
    kernelLimitFailure({ name: "FunctionError", message: "ENOSPC: no space left on device, write", retryable: true }),
    null,
  );
  assert.equal(kernelLimitFailure({ name: "Error", message: "disk said ENOSPC", retryable: true }), null);
});

test("a real sandboxed container answers over the IPC channel, pinned, as nobody", { timeout: 30_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-sbx-"));
  try {
    const support = await detectSandbox(sandboxRuntime(dataDir));
    if (!support.ok) return t.skip(`no sandbox here: ${support.reason}`);
    const bundle = join(dataDir, "app.mjs");
    writeFileSync(bundle, "export {};\n");
    const launch = sandboxLauncher({
      host: support.host,
      mountDir: join(dataDir, "mnt"),
      runtimeDir: join(dataDir, "runtime"),
      affinity: new CpuAffinity([0, 1]),
    });
    const l = launch({
      id: "c-test",
      cwd: "/nowhere",
      env: { SECRET_X: "1" },
      memoryMb: 256,
      bundlePath: bundle,
      resources: { cpu: 1, memoryBytes: 256 * 2 ** 20, diskBytes: 2 ** 20, gpus: [] },
    });
    const exited = new Promise<void>((r) => l.child.once("exit", () => r()));
    try {
      const seen: string[] = [];
      const got = new Promise<FromContainer>((resolve) =>
        l.link.onMessage((m) => {
          seen.push(m.t);
          if (m.t !== "booted") resolve(m);
        }),
      );
      l.link.send({ t: "init", bundlePath: l.bundlePath!, target: { kind: "function", name: "nope" } });
      const msg = await got;
      // The bundle loaded (from /bundle) and the entry answered: the function is simply not in it.
      assert.equal(msg.t, "init-failed");
      assert.deepEqual(seen, ["booted", "init-failed"]);
      assert.equal(l.bundlePath, "/bundle/app.mjs");
      const pid = l.userPid!();
      assert.ok(pid !== null && pid !== l.child.pid, "the Node inside is found below bwrap");
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      assert.match(status, /^Uid:\s+(?!0\s)\d+/m);
      if (support.host.mode === "root") assert.match(status, /^Uid:\s+65534\s/m);
      assert.match(status, /^Cpus_allowed_list:\s+0$/m);
    } finally {
      l.kill();
      await exited;
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
