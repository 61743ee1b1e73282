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
   * Invoke → output on the path the docs give a client that also wants progress: `POST
   * /applications/{app}` with `Accept: text/event-stream`; the stream ends with `RequestFinished`,
   * which carries the (small) output. Returns the output as JSON text; throws unless succeeded.
   */
  async invokeSse(app: string, input: unknown, timeoutMs = 120_000): Promise<string> {
    const res = await this.request(
      "POST",
      `/applications/${app}`,
      JSON.stringify(input ?? null),
      { accept: "text/event-stream" },
      timeoutMs,
    );
    if (res.status !== 200) throw new Error(`invoke ${app} (SSE): HTTP ${res.status} ${res.body.slice(0, 300)}`);
    const at = res.body.lastIndexOf("event: RequestFinished\ndata: ");
    if (at < 0) throw new Error(`invoke ${app} (SSE): no RequestFinished in ${res.body.slice(0, 300)}`);
    const line = res.body.slice(at + "event: RequestFinished\ndata: ".length).split("\n", 1)[0]!;
    const fin = JSON.parse(line) as { status: string; output?: { body: unknown } };
    if (fin.status !== "succeeded" || !fin.output) throw new Error(`invoke ${app} (SSE): ${line.slice(0, 300)}`);
    return JSON.stringify(fin.output.body);
  }

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
