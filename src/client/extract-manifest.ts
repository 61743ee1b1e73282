/**
 * `node extract-manifest.js <bundle.mjs>`: imports a user bundle in a fresh process and prints the
 * manifest of what it defined. Run by `bundleEntry`, never imported.
 *
 * Why a separate process: user code runs at definition time (top-level statements, decorators) and
 * registers into a process-wide registry; importing it into the deploying process would pollute that
 * registry, keep its timers alive and let a crash take the CLI down.
 *
 * Output contract: the manifest is the last stdout line, prefixed by {@link MANIFEST_MARKER} (user
 * code may print too). A definition error goes to stderr as `Name: message` plus the user's frame,
 * with exit code 1.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildManifest } from "../core/manifest.js";
import { cleanStack } from "../core/stack.js";
import { MANIFEST_MARKER } from "./manifest-marker.js";

/** `Name: message` and the first frame of the user's own code (not Tributary's, Node's or a library's). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return `Error: ${String(e)}`;
  const head = `${e.name}: ${e.message}`;
  const frames = cleanStack(e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
  const user = frames.find((l) => !l.includes("(node:") && !l.includes("node_modules"));
  return user ? `${head}\n${user}` : head;
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: extract-manifest <bundle.mjs>\n");
    return 2;
  }
  try {
    await import(pathToFileURL(resolve(file)).href);
  } catch (e) {
    process.stderr.write(describe(e) + "\n");
    return 1;
  }
  const manifest = buildManifest();
  // Leading newline: user output without a trailing newline must not glue onto our line.
  await new Promise<void>((done) => process.stdout.write(`\n${MANIFEST_MARKER}${JSON.stringify(manifest)}\n`, () => done()));
  return 0;
}

// Exits explicitly: user code may leave timers or sockets open that would keep the process alive.
main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(describe(e) + "\n");
    process.exit(1);
  },
);
