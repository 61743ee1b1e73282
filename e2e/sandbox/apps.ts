/**
 * Applications of the sandbox escape suite: each tries something a container must not be able to
 * do and reports what happened, as data. Deployed to a real server and run by a `sandbox` executor;
 * imports only "tributary" and node built-ins. They run where nothing of the host is writable, so
 * they report through their results, never through files.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Worker } from "node:worker_threads";
import { application, fn, Image, Retries } from "tributary";

/** What reading a path gave: its first bytes, or the error code. */
export type ReadOutcome = { path: string; ok: true; bytes: number } | { path: string; ok: false; code: string };

function tryRead(path: string): ReadOutcome {
  try {
    const st = readdirSafe(path);
    if (st !== null) return { path, ok: true, bytes: st.length };
    return { path, ok: true, bytes: readFileSync(path).length };
  } catch (e) {
    return { path, ok: false, code: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

/** The entries of `path` when it is a directory, else null (throws when it is not there). */
function readdirSafe(path: string): string[] | null {
  try {
    return readdirSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw e;
  }
}

/** Fails with an error thrown by the user's own code (its stack is checked). */
export const sb_throw = application(
  fn(async function sb_throw(): Promise<number> {
    throw new Error("thrown in the sandbox");
  }),
);

/** Tries to read every path it is given (files or directories). */
export const sb_read = application(
  fn(async function sb_read(input: { paths: string[] }) {
    return input.paths.map(tryRead);
  }),
);

/** Who and where the container is: uid, gid, the processes it sees, its temp dir and cwd. */
export const sb_whoami = application(
  fn(async function sb_whoami() {
    const pids = readdirSync("/proc")
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
    const cmdlines = pids.map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      } catch {
        return "?";
      }
    });
    return {
      uid: process.getuid!(),
      gid: process.getgid!(),
      euid: process.geteuid!(),
      pid: process.pid,
      pids,
      cmdlines,
      tmpdir: tmpdir(),
      home: process.env.HOME ?? null,
      cwd: process.cwd(),
      root: readdirSync("/").sort(),
    };
  }),
);

/** Writes `/tmp/x` (its own /tmp) and the host-looking path it is given; reports both. */
export const sb_tmp_write = application(
  fn(async function sb_tmp_write(input: { secret: string; hostPath: string }) {
    writeFileSync("/tmp/x", input.secret);
    let hostWrite: string;
    try {
      writeFileSync(input.hostPath, input.secret);
      hostWrite = "written";
    } catch (e) {
      hostWrite = (e as NodeJS.ErrnoException).code ?? String(e);
    }
    return { own: readFileSync("/tmp/x", "utf8"), hostWrite, sawHostPath: existsSync(input.hostPath) };
  }),
);

/** Another function, so another container: looks for `/tmp/x`. */
export const sb_tmp_read = application(
  fn(async function sb_tmp_read() {
    return { exists: existsSync("/tmp/x"), entries: readdirSync("/tmp") };
  }),
);

/**
 * ephemeralDisk 2 (2 MB on the suite's executor): writes `fraction` of its disk to /tmp in 64 KB
 * chunks. With `rethrow` the ENOSPC fails the function, else it is reported.
 */
export const sb_disk = application(
  fn({ ephemeralDisk: 2 }, async function sb_disk(input: { bytes: number; rethrow: boolean }) {
    const chunk = Buffer.alloc(64 << 10, 7);
    let written = 0;
    try {
      const { openSync, writeSync, closeSync } = await import("node:fs");
      const fd = openSync("/tmp/fill", "w");
      try {
        while (written < input.bytes) written += writeSync(fd, chunk, 0, Math.min(chunk.length, input.bytes - written));
      } finally {
        closeSync(fd);
      }
      return { written, code: null };
    } catch (e) {
      if (input.rethrow) throw e;
      return { written, code: (e as NodeJS.ErrnoException).code ?? String(e) };
    }
  }),
);

const SPIN = `
const { parentPort, workerData } = require("node:worker_threads");
const end = Date.now() + workerData.ms;
let x = 0;
while (Date.now() < end) x++;
parentPort.postMessage(x);
`;

/** cpu: 1 with two threads spinning for `ms`: the CPU seconds it got per wall second. */
export const sb_cpu = application(
  fn({ cpu: 1 }, async function sb_cpu(input: { ms: number }) {
    const t0 = Date.now();
    const c0 = process.cpuUsage();
    await Promise.all(
      [0, 1].map(
        () =>
          new Promise((resolve, reject) => {
            const w = new Worker(SPIN, { eval: true, workerData: { ms: input.ms } });
            w.once("message", resolve);
            w.once("error", reject);
          }),
      ),
    );
    const c = process.cpuUsage(c0);
    const wall = (Date.now() - t0) / 1000;
    return {
      cpuSeconds: (c.user + c.system) / 1e6,
      wallSeconds: wall,
      perWallSecond: (c.user + c.system) / 1e6 / wall,
    };
  }),
);

/** memory: 1 (1 GiB): allocates and fills 64 MB buffers in a tight loop until it is stopped. */
export const sb_memory = application(
  fn({ memory: 1, retries: new Retries({ maxRetries: 0 }) }, async function sb_memory() {
    const keep: Buffer[] = [];
    for (let i = 0; i < 64; i++) keep.push(Buffer.alloc(64 << 20, i + 1));
    return `survived with ${keep.length * 64} MB`;
  }),
);

/**
 * A built image: its steps run in a build sandbox over the host's system directories, writing only
 * into the image's layer (`/usr/local/…` included: the host's stays unchanged).
 */
const siteImage = new Image({ name: "sandbox-site" })
  .workdir("/srv/site")
  .run("mkdir -p data && echo 'hello from the image' > data/greeting.txt")
  .run("echo layered > /usr/local/tributary-sb-image.txt");

/** Runs in the image's workdir, which it sees read-only, on its root (base + layer). */
export const sb_image = application(
  fn({ image: siteImage }, async function sb_image() {
    let write: string;
    try {
      writeFileSync("data/new.txt", "x");
      write = "written";
    } catch (e) {
      write = (e as NodeJS.ErrnoException).code ?? String(e);
    }
    return {
      cwd: process.cwd(),
      greeting: readFileSync("data/greeting.txt", "utf8").trim(),
      layer: readFileSync("/usr/local/tributary-sb-image.txt", "utf8").trim(),
      write,
    };
  }),
);
