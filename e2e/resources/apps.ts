/**
 * Applications of the resource end-to-end tests (containers for real). Deployed to a real server;
 * imports only "tributary" and node built-ins.
 *
 * Every application pins a region, because the cluster's executors differ on purpose: us-east-1
 * (2 CPUs), eu-west-1 (4 CPUs, H100:2) and ap-south-1 (the "lab": 1 memory unit = 64 MB, 1 disk
 * unit = 1 MB, so the SDK's bounds can express tiny limits). A function left without a region
 * could land on the lab and be killed for using a normal amount of memory.
 *
 * `TRIB_E2E_DIR` (set by the test before deploying) is baked into an image's env step at definition
 * time; containers of that image get it back from the image, so constructors and build steps can
 * count side effects in files there.
 */
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { application, cls, fn, Image, Retries } from "tributary";

const E2E_DIR = process.env.TRIB_E2E_DIR ?? "/nonexistent/tributary-e2e";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lines in `<E2E_DIR>/<name>` (0 when missing). */
function lines(file: string): number {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
}

const filesImage = new Image({ name: "e2e-files" })
  .env("TRIB_E2E_DIR", E2E_DIR)
  .run(
    'echo built >> "$TRIB_E2E_DIR/image-builds.txt"; mkdir -p data; echo "hello from the image" > data/greeting.txt',
  );

// ---- placement ----------------------------------------------------------------------------------

const where = () => ({ container: process.env.TRIBUTARY_CONTAINER_ID ?? null });
export const res_east = application(
  { region: "us-east-1" },
  fn(async function res_east() {
    return where();
  }),
);
export const res_west = application(
  { region: "eu-west-1" },
  fn(async function res_west() {
    return where();
  }),
);

export const res_gpu = application(
  fn({ gpu: "H100" }, async function res_gpu() {
    return { devices: process.env.CUDA_VISIBLE_DEVICES ?? null };
  }),
);

export const res_unplaceable = application(
  fn({ gpu: "B200:4" }, async function res_unplaceable() {
    return "never runs";
  }),
);

const res_b200_child = fn({ gpu: "B200:4" }, async function res_b200_child() {
  return "never runs";
});

/** A parent that runs (us-east-1) and calls a child no executor can place; it retries on failure. */
export const res_unplaceable_child = application(
  { region: "us-east-1" },
  fn({ retries: new Retries({ maxRetries: 3, initialDelay: 0.05 }) }, async function res_unplaceable_child() {
    return await res_b200_child();
  }),
);

/** Holds both CPUs of us-east-1 until `<dir>/release` exists. */
export const res_hog = application(
  { region: "us-east-1" },
  fn({ cpu: 2 }, async function res_hog(input: { dir: string }) {
    const until = Date.now() + 20_000;
    while (!existsSync(join(input.dir, "release")) && Date.now() < until) await sleep(50);
    return "released";
  }),
);

// ---- limits (on the lab executor) ---------------------------------------------------------------

/** 64 MB of memory (one lab unit); touches 512 MB outside the V8 heap, 16 MB at a time. */
export const res_oom = application(
  { region: "ap-south-1" },
  fn({ memory: 1 }, async function res_oom() {
    const keep: Buffer[] = [];
    for (let i = 0; i < 32; i++) {
      keep.push(Buffer.alloc(16 << 20, i + 1));
      await sleep(20);
    }
    await sleep(2_000);
    return keep.length;
  }),
);

/** A 2 MB quota (two lab disk units); writes 8 MB into its temp dir, 1 MB at a time. */
export const res_disk = application(
  { region: "ap-south-1" },
  fn({ memory: 4, ephemeralDisk: 2 }, async function res_disk() {
    for (let i = 0; i < 8; i++) {
      writeFileSync(join(tmpdir(), `chunk-${i}`), Buffer.alloc(1 << 20, 7));
      await sleep(100);
    }
    return "wrote 8 MB";
  }),
);

// ---- isolation ----------------------------------------------------------------------------------

const res_tmp_a = fn(async function res_tmp_a() {
  writeFileSync(join(tmpdir(), "only-a.txt"), "a's temp file");
  return { tmp: tmpdir(), files: readdirSync(tmpdir()) };
});
const res_tmp_b = fn(async function res_tmp_b() {
  return { tmp: tmpdir(), files: readdirSync(tmpdir()), env: process.env.TMPDIR ?? null };
});
export const res_tmp = application(
  { region: "us-east-1" },
  fn(async function res_tmp() {
    return { a: await res_tmp_a(), b: await res_tmp_b() };
  }),
);

// ---- classes and images -------------------------------------------------------------------------

@cls()
class ResCounter {
  constructor() {
    appendFileSync(join(process.env.TRIB_E2E_DIR ?? E2E_DIR, "constructions.txt"), `${process.pid}\n`);
  }
  @fn({ image: filesImage })
  async count(): Promise<number> {
    return lines(join(process.env.TRIB_E2E_DIR ?? E2E_DIR, "constructions.txt"));
  }
}

export const res_class = application(
  { region: "us-east-1" },
  fn(async function res_class() {
    return new ResCounter().count();
  }),
);

export const res_image = application(
  { region: "us-east-1" },
  fn({ image: filesImage }, async function res_image() {
    return {
      greeting: readFileSync("data/greeting.txt", "utf8").trim(),
      cwd: process.cwd(),
      nodePath: process.env.NODE_PATH ?? null,
      dirFromImage: process.env.TRIB_E2E_DIR ?? null,
    };
  }),
);

const brokenImage = new Image({ name: "e2e-broken" }).run('echo "no such package: left-pad-9000" >&2; exit 7');
export const res_bad_image = application(
  { region: "us-east-1" },
  fn({ image: brokenImage }, async function res_bad_image() {
    return "never runs";
  }),
);

// ---- secrets ------------------------------------------------------------------------------------

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

const res_secret_holder = fn({ secrets: ["E2E_TOKEN"] }, async function res_secret_holder() {
  console.log("checking the token");
  const v = process.env.E2E_TOKEN;
  return { present: v !== undefined, sha256: v === undefined ? null : sha(v) };
});
const res_secret_stranger = fn(async function res_secret_stranger() {
  console.log("looking for a token");
  return { present: process.env.E2E_TOKEN !== undefined };
});
export const res_secret = application(
  { region: "us-east-1" },
  fn(async function res_secret() {
    return {
      holder: await res_secret_holder(),
      stranger: await res_secret_stranger(),
      root: process.env.E2E_TOKEN !== undefined,
    };
  }),
);

// ---- depth, warm pools, maxContainers -----------------------------------------------------------

const res_rec = fn(async function res_rec(n: number): Promise<number> {
  return n === 0 ? 0 : 1 + (await res_rec(n - 1));
});
/** Recursion 8 deep on an executor with 2 CPUs: blocked callers must release their CPU. */
export const res_deep = application(
  { region: "us-east-1" },
  fn(async function res_deep(n: number) {
    return res_rec(n);
  }),
);

export const res_warm = application(
  { region: "us-east-1" },
  fn({ warmContainers: 2, minContainers: 1 }, async function res_warm() {
    return process.pid;
  }),
);

/** At most one container at a time across the cluster; records when each run starts and ends. */
export const res_limited = application(
  { region: "eu-west-1" },
  fn({ maxContainers: 1 }, async function res_limited(input: { dir: string }) {
    const start = Date.now();
    await sleep(300);
    appendFileSync(join(input.dir, "limited.txt"), `${start} ${Date.now()}\n`);
    return process.pid;
  }),
);

// ---- base images: honoured only where an executor declares them ----------------------------------

export const res_ubuntu = application(
  fn({ image: new Image({ name: "e2e-ubuntu", baseImage: "ubuntu:24.04" }) }, async function res_ubuntu() {
    return where();
  }),
);
export const res_no_base = application(
  fn({ image: new Image({ name: "e2e-debian", baseImage: "debian:12" }) }, async function res_no_base() {
    return "never runs";
  }),
);
