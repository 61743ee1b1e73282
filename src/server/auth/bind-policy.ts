/**
 * Safe defaults (DESIGN.md §4 "Auth."): a server without keys serves everyone, so it may only
 * listen where "everyone" means this machine. Asked to bind anything else without a key, it
 * refuses to start unless the operator says `--insecure`.
 */
import { isIP } from "node:net";

/** Refusal to bind a non-loopback address without keys; the CLI prints it and exits non-zero. */
export class InsecureBindError extends Error {
  constructor(readonly host: string) {
    super(
      `refusing to listen on ${host} without an API key: anyone who can reach it could deploy and run code. ` +
        `Give --api-key KEY (or TRIBUTARY_API_KEYS=k1,k2), or pass --insecure to serve everyone anyway.`,
    );
    this.name = "InsecureBindError";
  }
}

/** True for `localhost` and every loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^(?:0*:)*:?0*1$/.test(h) || /^::ffff:127\./.test(h);
  return false; // any other name may resolve anywhere: not loopback
}

/**
 * Checks a bind and returns what the server should say about auth at start-up.
 *
 * @example
 * authNotice("127.0.0.1", false, false); // "no API key set: serving everyone …"
 * authNotice("0.0.0.0", false, false);   // throws InsecureBindError
 */
export function authNotice(host: string, keysSet: boolean, insecure: boolean): string {
  if (keysSet) return "API keys required (Authorization: Bearer <key>)";
  if (isLoopback(host)) return `no API key set: serving everyone who can reach ${host} (loopback only)`;
  if (!insecure) throw new InsecureBindError(host);
  return `WARNING: --insecure: serving EVERYONE who can reach ${host} with no API key; anyone can deploy and run code`;
}
