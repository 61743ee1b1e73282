/**
 * Plain HTTP as a user with curl would speak it: no Tributary client, just `fetch` against the
 * documented paths. Shared by the acceptance tests.
 */

export interface Answer {
  status: number;
  requestId: string;
  contentType: string;
  bytes: Uint8Array;
  /** The body parsed as JSON (throws when it is not JSON). */
  json(): unknown;
}

/**
 * `POST /applications/<app>?wait=30`: the synchronous invoke, answered with the output bytes (200),
 * a JSON error (422/409/500) or 202 when still running.
 */
export async function invokeWait(
  base: string,
  app: string,
  body?: Uint8Array | string,
  contentType = "application/json",
  wait = 30,
): Promise<Answer> {
  const res = await fetch(`${base}/applications/${app}?wait=${wait}`, {
    method: "POST",
    headers: { "content-type": contentType },
    ...(body === undefined ? {} : { body }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return {
    status: res.status,
    requestId: res.headers.get("x-tributary-request-id") ?? "",
    contentType: res.headers.get("content-type") ?? "",
    bytes,
    json: () => JSON.parse(new TextDecoder().decode(bytes)) as unknown,
  };
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

/** Reads a whole SSE stream (the progress stream closes after `RequestFinished`). */
export async function readSse(url: string, ms = 15_000, headers: Record<string, string> = {}): Promise<SseEvent[]> {
  const res = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    signal: AbortSignal.timeout(ms),
  });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const text = await res.text();
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    const ev: SseEvent = { id: "", event: "message", data: "" };
    let any = false;
    for (const line of block.split("\n")) {
      const m = /^(id|event|data): ?(.*)$/.exec(line);
      if (!m) continue;
      any = true;
      const [, field, value] = m as unknown as [string, "id" | "event" | "data", string];
      ev[field] = field === "data" && ev.data !== "" ? `${ev.data}\n${value}` : value;
    }
    if (any) events.push(ev);
  }
  return events;
}

/** `GET …/requests/{id}`: just the fields these tests read. */
export interface Detail {
  id: string;
  status: string;
  failure_reason: string | null;
  function_calls: Array<{
    id: string;
    parent_id: string | null;
    function_name: string;
    status: string;
    attempts_used: number;
    attempts: Array<{ number: number; status: string; failure_reason: string | null; container_id: string | null }>;
  }>;
}

export const detail = (base: string, app: string, id: string): Promise<Detail> =>
  getJson<Detail>(`${base}/applications/${app}/requests/${id}`);

/** Log lines of a request, waiting until `want` appears (logs are shipped after the call returns). */
export async function logLines(base: string, app: string, id: string, want?: string, ms = 10_000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const page = await getJson<{ logs: Array<{ line: string }> }>(`${base}/applications/${app}/requests/${id}/logs`);
    const got = page.logs.map((l) => l.line);
    if (want === undefined || got.includes(want) || Date.now() > end) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}
