/**
 * One HTTP exchange with the server: base URL + namespace paths, `Authorization`, JSON bodies and
 * the mapping of every failure to a {@link ClientError}.
 */
import { ClientError, errorFromResponse, unreachable } from "./client-error.js";
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from "./config.js";

export interface SendOptions {
  method?: string;
  /** A JSON value (sent as application/json) or raw bytes with `contentType`. */
  json?: unknown;
  bytes?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal | undefined;
}

/**
 * The low-level transport. Paths starting with `/v1/` or `/healthz` are used as given; `ns(...)`
 * builds namespaced paths with every segment URL-encoded (names are user input).
 *
 * @example
 * const t = new Transport({ server: "http://127.0.0.1:8900" });
 * const res = await t.send(t.ns("applications"));
 */
export class Transport {
  readonly options: ResolvedClientOptions;
  constructor(opts: ClientOptions = {}) {
    this.options = resolveClientOptions(opts);
  }

  get server(): string {
    return this.options.server;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  /** `/v1/namespaces/{ns}/<segments…>`, each segment encoded. */
  ns(...segments: string[]): string {
    return `/v1/namespaces/${encodeURIComponent(this.options.namespace)}/${segments.map(encodeURIComponent).join("/")}`;
  }

  /** Headers every request carries. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    if (this.options.apiKey) h.authorization = `Bearer ${this.options.apiKey}`;
    return h;
  }

  /** Sends a request; resolves only for 2xx responses, otherwise rejects with a `ClientError`. */
  async send(path: string, opts: SendOptions = {}): Promise<Response> {
    const url = new URL(this.options.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers = this.headers(opts.headers);
    let body: Uint8Array | string | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] = "application/json";
    } else if (opts.bytes !== undefined) {
      body = opts.bytes;
      if (opts.contentType) headers["content-type"] = opts.contentType;
    }
    let res: Response;
    try {
      res = await this.options.fetch(url, { method: opts.method ?? "GET", headers, body, signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw unreachable(this.options.server, e);
    }
    if (!res.ok) throw await errorFromResponse(res, `${opts.method ?? "GET"} ${url.pathname}`);
    return res;
  }

  /** Sends a request and parses the JSON answer (an empty body reads as `undefined`). */
  async json<T>(path: string, opts: SendOptions = {}): Promise<T> {
    const res = await this.send(path, { ...opts, headers: { accept: "application/json", ...opts.headers } });
    const text = await res.text();
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ClientError(res.status, "bad_response", `${path}: the server answered with invalid JSON`);
    }
  }
}
