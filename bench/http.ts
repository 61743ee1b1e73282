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

  request(method: string, path: string, body?: string, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, method, path, agent: this.agent, headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
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
  async invokeAndWait(app: string, input: unknown, timeoutMs = 120_000): Promise<string> {
    const res = await this.request("POST", `/applications/${app}`, JSON.stringify(input ?? null), { accept: "text/event-stream" }, timeoutMs);
    if (res.status !== 200) throw new Error(`invoke ${app}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    const id = res.headers["x-tributary-request-id"];
    const fin = /event: RequestFinished\ndata: (.*)\n/.exec(res.body);
    if (typeof id !== "string" || !fin) throw new Error(`invoke ${app}: the stream ended without RequestFinished`);
    const outcome = JSON.parse(fin[1]!) as { status: string; error?: { message?: string } | null };
    if (outcome.status !== "succeeded") throw new Error(`invoke ${app}: request ${id} ${outcome.status}: ${outcome.error?.message ?? ""}`);
    const out = await this.request("GET", `/applications/${app}/requests/${id}/output`, undefined, {}, timeoutMs);
    if (out.status !== 200) throw new Error(`output ${app}/${id}: HTTP ${out.status} ${out.body.slice(0, 300)}`);
    return out.body;
  }

  close(): void {
    this.agent.destroy();
  }
}
