/**
 * Functions for the container contract suite (suite.ts): each probes one clause of what a container
 * is (DESIGN §2 Containers, Isolation, Limits, Images) from inside, and reports what it saw.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { application, fn, Image, RequestContext, Retries } from "tributary";

/** The channel: a large structured value goes in and comes back, progress flows on the way. */
export const ct_echo = application(
  fn({}, async function ct_echo(input: { blob: string; at: number[] }) {
    await RequestContext.get().progress.update(1, 2, "halfway");
    return { length: input.blob.length, last: input.blob.slice(-8), at: input.at.map((n) => n * 2) };
  }),
);

/** What a container sees of the machine. */
export const ct_view = application(
  fn({ ephemeralDisk: 2 }, async function ct_view(input: { paths: string[]; secret: string }) {
    const readable = input.paths.filter((p) => {
      try {
        readdirSync(p);
        return true;
      } catch {
        try {
          readFileSync(p);
          return true;
        } catch {
          return false;
        }
      }
    });
    writeFileSync(join(tmpdir(), `contract-${input.secret}`), input.secret);
    return {
      uid: process.getuid?.() ?? -1,
      tmp: tmpdir(),
      readable,
      processes: readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length,
    };
  }),
);

/** Disk: writes `bytes` to its /tmp and keeps them. */
export const ct_disk = application(
  fn({ ephemeralDisk: 2, retries: new Retries({ maxRetries: 0 }) }, async function ct_disk(bytes: number) {
    writeFileSync(join(tmpdir(), "fill"), Buffer.alloc(bytes, 1));
    return "kept";
  }),
);

const contractImage = new Image({ name: "contract" }).workdir("app").run("echo from-build > built.txt");

/** Images: the build step's file in the final workdir, which is the function's cwd. */
export const ct_image = application(
  fn({ image: contractImage }, async function ct_image() {
    return { built: readFileSync("built.txt", "utf8"), cwd: process.cwd() };
  }),
);
