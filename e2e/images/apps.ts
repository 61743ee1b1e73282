/**
 * Functions for the images acceptance suite (images.test.ts): they run on base images the test's
 * executor provides (`test`: a root filesystem directory; `ocitest`: an OCI layout of it), built
 * with the SDK's Image API. `assets/hello.txt` reaches the image through the deployed build context.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { application, fn, Image } from "tributary";

/** What a function sees of its image. */
export interface ImageView {
  osRelease: string;
  built: string | null;
  hello: string | null;
  cwd: string;
  /** Whether the image has a Node of its own (it must not: the executor's is mounted). */
  imageHasNode: boolean;
  layer2: string | null;
  gone: boolean;
  /** What `process.execPath -e …` printed: Node processes of its own start on a Node-less image. */
  childNode: string;
}

const read = (p: string): string | null => (existsSync(p) ? readFileSync(p, "utf8") : null);

function view(): ImageView {
  return {
    osRelease: readFileSync("/etc/os-release", "utf8"),
    built: read("/built.txt"),
    hello: read("hello.txt"),
    cwd: process.cwd(),
    imageHasNode: ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"].some((p) => existsSync(p)),
    layer2: read("/layer2.txt"),
    gone: !existsSync("/gone.txt"),
    childNode: execFileSync(process.execPath, ["-e", "process.stdout.write(String(6 * 7))"], { encoding: "utf8" }),
  };
}

const testImage = new Image({ name: "images-test", baseImage: "test" })
  .run("echo built > /built.txt")
  .copy("assets/hello.txt", "hello.txt");

export const img_read = application(
  fn({ image: testImage }, async function img_read() {
    return view();
  }),
);

export const img_oci = application(
  fn({ image: new Image({ name: "images-oci", baseImage: "ocitest" }) }, async function img_oci() {
    return view();
  }),
);

export const img_unknown = application(
  fn({ image: new Image({ name: "images-unknown", baseImage: "no-such-base" }) }, async function img_unknown() {
    return "unreachable";
  }),
);
