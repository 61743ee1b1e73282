/**
 * The load generator's HTTP client: node:http with a keep-alive agent (no per-request TCP setup,
 * and far less client CPU than fetch, which matters when client and server share 2 cores).
 */
import http from "node:http";

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export class BenchHttp {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = 64) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
    timeoutMs = 120_000,
  ): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...headers,
            ...(body !== undefined
              ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8"),
              headers: res.headers,
            }),
          );
          res.on("error", reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  /**
   * Invoke → output: `POST /applications/{app}` with `Accept: text/event-stream` (the stream ends
   * with `RequestFinished`), then `GET …/output`. Returns the output body; throws unless succeeded.
   */
  /** One round trip: `POST /applications/{app}?wait=…` answers with the output once finished. */
  async invokeAndWait(app: string, input: unknown, timeoutMs = 120_000): Promise<string> {
    const res = await this.request(
      "POST",
      `/applications/${app}?wait=${Math.ceil(timeoutMs / 1000)}`,
      JSON.stringify(input ?? null),
      {},
      timeoutMs,
    );
    if (res.status !== 200) throw new Error(`invoke ${app}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}
