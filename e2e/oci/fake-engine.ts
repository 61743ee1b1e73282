/**
 * A stand-in for `docker`, for testing the OCI backend where no engine runs: `version` answers,
 * `build` checks its context (Dockerfile, runtime) and records it, `run` records its arguments and
 * starts the Tributary container runtime as a plain Node process with the environment `-e` names
 * (so the socket channel, the mounts' paths and the env handling are exercised for real), and
 * `kill NAME` kills what `run --name NAME` started. Every call is appended to `$FAKE_ENGINE_LOG`.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/container/main.js", import.meta.url));

const SCRIPT = `#!${process.execPath}
const { appendFileSync, existsSync, readFileSync, writeFileSync } = require("node:fs");
const { spawn } = require("node:child_process");
const { join } = require("node:path");
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_ENGINE_LOG, JSON.stringify(args) + "\\n");
const state = process.env.FAKE_ENGINE_STATE;
if (args[0] === "version") process.exit(0);
if (args[0] === "build") {
  const dir = args[args.length - 1];
  const ok = existsSync(join(dir, "Dockerfile")) && existsSync(join(dir, "tributary-runtime/dist/src/container/main.js")) && existsSync(join(dir, "tributary-runtime/package.json"));
  if (ok) appendFileSync(process.env.FAKE_ENGINE_LOG, JSON.stringify(["dockerfile", readFileSync(join(dir, "Dockerfile"), "utf8")]) + "\\n");
  process.exit(ok ? 0 : 3);
}
if (args[0] === "kill") {
  try { process.kill(Number(readFileSync(join(state, args[1]), "utf8")), "SIGKILL"); } catch {}
  process.exit(0);
}
if (args[0] === "run") {
  const env = { PATH: process.env.PATH };
  let name = "";
  for (let i = 1; i < args.length - 1; i++) {
    if (args[i] === "-e") env[args[i + 1]] = process.env[args[i + 1]] ?? "";
    if (args[i] === "--name") name = args[i + 1];
  }
  const child = spawn(process.execPath, [${JSON.stringify(MAIN)}], { env, stdio: "inherit" });
  writeFileSync(join(state, name), String(child.pid));
  child.on("exit", (code, signal) => process.exit(code ?? 137));
  process.on("SIGTERM", () => child.kill("SIGKILL"));
  return;
}
process.exit(2);
`;

/** Writes the fake `docker` into `dir/bin` and returns the PATH entry and its log file. */
export function installFakeEngine(dir: string): { bin: string; log: string } {
  const bin = join(dir, "bin");
  const state = join(dir, "state");
  mkdirSync(bin, { recursive: true });
  mkdirSync(state, { recursive: true });
  const log = join(dir, "engine.log");
  writeFileSync(log, "");
  writeFileSync(join(bin, "docker"), SCRIPT);
  chmodSync(join(bin, "docker"), 0o755);
  process.env.FAKE_ENGINE_LOG = log;
  process.env.FAKE_ENGINE_STATE = state;
  return { bin, log };
}
