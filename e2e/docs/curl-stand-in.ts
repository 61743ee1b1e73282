/**
 * The docs tell users to paste `curl` lines. Where the machine running the tests has no curl, a
 * stand-in named `curl` goes first on the PATH of the docs' shell: a Node script that does what the
 * docs' lines use (`-X METHOD`, `-H 'Name: value'`, `-d BODY`, `-s`, one URL) with fetch and
 * prints the response body, as curl does. With curl installed, the real one runs.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SCRIPT = `#!/usr/bin/env node
// curl stand-in for the docs test (e2e/docs/curl-stand-in.ts): -X, -H, -d, -s and one URL.
const args = process.argv.slice(2);
let method, url, body;
const headers = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "-X") method = args[++i];
  else if (a === "-H") { const h = args[++i]; const c = h.indexOf(":"); headers[h.slice(0, c).trim()] = h.slice(c + 1).trim(); }
  else if (a === "-d") body = args[++i];
  else if (a === "-s") continue;
  else if (a.startsWith("-")) { console.error("curl stand-in: unsupported option " + a); process.exit(2); }
  else url = a;
}
if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = "application/x-www-form-urlencoded";
const res = await fetch(url, { method: method ?? (body === undefined ? "GET" : "POST"), headers, body });
process.stdout.write(Buffer.from(await res.arrayBuffer()));
`;

/**
 * A directory to put first on PATH when curl is missing, or null when curl is installed.
 *
 * @example
 * const extra = curlStandIn(dir); // null on most machines
 */
export function curlStandIn(dir: string): string | null {
  if (spawnSync("sh", ["-c", "command -v curl"], { stdio: "ignore" }).status === 0) return null;
  const bin = join(dir, ".docs-test-bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "curl"), SCRIPT);
  chmodSync(join(bin, "curl"), 0o755);
  return bin;
}
