/**
 * Where the client talks to and as whom: explicit options first, then the environment
 * (`TRIBUTARY_SERVER`, `TRIBUTARY_API_KEY`), then the defaults of `tributary dev`.
 */

/** The address `tributary dev` and `tributary server` listen on by default. */
export const DEFAULT_SERVER = "http://127.0.0.1:8900";
export const DEFAULT_NAMESPACE = "default";

/** Connection options shared by the HTTP client, `runRemote` and the CLI. */
export interface ClientOptions {
  /** Base URL of a Tributary server. Default: `TRIBUTARY_SERVER`, else http://127.0.0.1:8900. */
  server?: string | undefined;
  /** Sent as `Authorization: Bearer <key>`. Default: `TRIBUTARY_API_KEY`. */
  apiKey?: string | undefined;
  /** Default: `default`. */
  namespace?: string | undefined;
  /** The `fetch` to use (tests inject one). Default: the global `fetch`. */
  fetch?: typeof fetch | undefined;
}

export interface ResolvedClientOptions {
  server: string;
  apiKey: string | undefined;
  namespace: string;
  fetch: typeof fetch;
}

/**
 * Fills in every connection option.
 *
 * @example
 * resolveClientOptions({}).server; // "http://127.0.0.1:8900" unless TRIBUTARY_SERVER is set
 */
export function resolveClientOptions(
  opts: ClientOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedClientOptions {
  const fromEnv = opts.server === undefined ? nonEmpty(env.TRIBUTARY_SERVER) : undefined;
  const server = (opts.server ?? fromEnv ?? DEFAULT_SERVER).replace(/\/+$/, "");
  // Named after where it came from, so a bad TRIBUTARY_SERVER is not taken for a bad flag.
  const bad = (): TypeError =>
    new TypeError(`${fromEnv !== undefined ? "TRIBUTARY_SERVER" : "server"} must be an http(s) URL, got '${server}'`);
  let parsed: URL;
  try {
    parsed = new URL(server);
  } catch {
    throw bad();
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw bad();
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(namespace)) {
    throw new TypeError(`namespace must be letters, digits, '_', '.' or '-', got '${namespace}'`);
  }
  return {
    server,
    apiKey: opts.apiKey ?? nonEmpty(env.TRIBUTARY_API_KEY),
    namespace,
    fetch: opts.fetch ?? globalThis.fetch,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== "" ? s.trim() : undefined;
}
