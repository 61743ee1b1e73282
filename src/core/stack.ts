/**
 * Stack cleaning for errors that leave the process that threw them (docs/http-api.md: no error that
 * reaches a client carries a frame of Tributary's own code or a server file path).
 *
 * Decided rules, applied by `toPlainError` (core/errors.ts), the one place where a thrown value
 * becomes plain data:
 * - The header (`Name: message`, over as many lines as the message has) is kept as is.
 * - A frame is dropped when it is Tributary's own code: a file under this package's `src/` or
 *   `dist/src/` directory (the host's copy: container entry, local runner, executor), a file under any
 *   `node_modules/tributary/` (the copy a user's bundle carries, named through the bundle's source
 *   map), or Node's internals (`node:internal/…`).
 * - Paths registered with {@link hideHostPath} are rewritten to a short label: the container
 *   registers its bundle's directory (a path of the executor's data directory) as `bundle`, so a
 *   frame the source map does not cover reads `bundle/<file>.mjs:1:2`, never the server's layout.
 * - Every other frame is the user's and is kept. Containers run with `--enable-source-maps` and the
 *   bundle carries its source map, so a user's frame names the user's own source file as it was on
 *   the machine that deployed (`at handler (/home/me/app/app.ts:12:9)`), not a path of the server.
 */
/** `<root>/src/` and `<root>/dist/src/` of this package, when this module runs from a checkout or install. */
const OWN_DIRS: string[] = ownDirs();

/**
 * A file: URL as a path. Not `node:url`: this module is part of the SDK's type graph, which the
 * dashboard's browser build also checks (POSIX paths suffice: containers and servers run on Linux).
 */
function fileURLToPath(url: string): string {
  return decodeURIComponent(new URL(url).pathname);
}

function ownDirs(): string[] {
  // Only trust import.meta.url when this file sits where the package puts it: inside a user's
  // bundle (a copy of the SDK) the URL is the bundle's, and its parents mean nothing.
  const here = fileURLToPath(import.meta.url);
  const m = /^(.*?)[\\/](?:dist[\\/])?src[\\/]core[\\/]stack\.[jt]s$/.exec(here);
  if (!m) return [];
  const root = m[1]!;
  return [`${root}/src/`, `${root}/dist/src/`];
}

const hidden: { prefix: string; label: string }[] = [];

/**
 * Rewrites `prefix` (a host directory) to `label` in every stack cleaned by this process from now
 * on. Registered once per process (the container registers its bundle directory at start-up).
 *
 * @example
 * hideHostPath("/var/lib/tributary/executor/bundles/ab12", "bundle");
 */
export function hideHostPath(prefix: string, label: string): void {
  const p = prefix.replace(/[\\/]+$/, "");
  if (p && !hidden.some((h) => h.prefix === p)) hidden.push({ prefix: p, label });
}

const FRAME = /^\s+at\s/;

/** The file location of a frame line, as a path (file: URLs converted), or null when it has none. */
function frameLocation(line: string): string | null {
  const body = line.replace(FRAME, "");
  const inParens = /\(([^()]*)\)\s*$/.exec(body);
  let loc = (inParens ? inParens[1]! : body).trim();
  loc = loc.replace(/:\d+(?::\d+)?$/, "");
  if (loc.startsWith("file://")) {
    try {
      loc = fileURLToPath(loc);
    } catch {
      return loc;
    }
  }
  return loc || null;
}

/** True when a frame location is Tributary's own code or Node's internals. */
function isOwnFrame(loc: string): boolean {
  const path = loc.replace(/\\/g, "/");
  if (path.startsWith("node:internal/") || path.startsWith("internal/")) return true;
  if (path.includes("/node_modules/tributary/")) return true;
  return OWN_DIRS.some((d) => path.startsWith(d));
}

function rewriteHidden(line: string): string {
  let out = line;
  for (const { prefix, label } of hidden) {
    out = out.split(`file://${prefix}`).join(label).split(prefix).join(label);
  }
  return out;
}

/**
 * A stack without Tributary's frames, Node's internal frames or registered host paths.
 *
 * @example
 * cleanStack("Error: boom\n    at f (/home/me/app.ts:3:9)\n    at run (/opt/tributary/dist/src/container/main.js:74:5)")
 * // "Error: boom\n    at f (/home/me/app.ts:3:9)"
 */
export function cleanStack(stack: string): string {
  const out: string[] = [];
  let userFrames = 0;
  for (const line of stack.split("\n")) {
    if (!FRAME.test(line)) {
      out.push(rewriteHidden(line));
      continue;
    }
    const loc = frameLocation(line);
    if (loc !== null && isOwnFrame(loc)) continue;
    out.push(rewriteHidden(line));
    if (!isPlumbing(loc)) userFrames = out.length;
  }
  // Below the user's last frame, what remains is the runtime's plumbing (`process.emit`,
  // `AsyncLocalStorage.run`): Node's public modules called by Tributary, not by the user.
  const header = out.findIndex((l) => FRAME.test(l));
  return (header === -1 ? out : out.slice(0, Math.max(userFrames, header))).join("\n");
}

/** A frame of a Node built-in module or without a file (`<anonymous>`, `native`). */
function isPlumbing(loc: string | null): boolean {
  return loc === null || loc.startsWith("node:") || loc === "<anonymous>" || loc === "native";
}
