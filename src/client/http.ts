/**
 * A typed client for every route of the HTTP API (docs/http-api.md). Shapes are those of core/api.ts;
 * where the API leaves a list's envelope open (`{ applications: [...] }` vs a bare array) the client
 * accepts both, so it does not break on a harmless server-side choice.
 */
import type { ApplicationDetail, DeployBody } from "../core/api-deploy.js";
import type {
  ApplicationSummary,
  CronScheduleInfo,
  DeployResponse,
  InvokeResponse,
  LogLine,
  MetricsResponse,
  RequestDetail,
  RequestList,
} from "../core/api.js";
import type { Status } from "../core/status.js";
import type { ClientOptions } from "./config.js";
import { Transport } from "./transport.js";

export type { CronScheduleInfo };

/** The input of an invoke: encoded bytes (or none) plus how to read them. */
export interface InvokeInput {
  bytes?: Uint8Array | undefined;
  contentType?: string | undefined;
  idempotencyKey?: string | undefined;
}

export interface ListRequestsOptions {
  cursor?: string | undefined;
  status?: Status | undefined;
  /** Only requests whose id starts with this. */
  idPrefix?: string | undefined;
  /** Only requests created at or after this time (ms since the epoch). */
  createdAfter?: number | undefined;
  /** Only requests created before this time (ms since the epoch). */
  createdBefore?: number | undefined;
  limit?: number | undefined;
}

/** An output as served: raw bytes and their content type. */
export interface OutputBytes {
  bytes: Uint8Array;
  contentType: string;
}

/** A page of log lines (see {@link TributaryClient.getLogs}). */
export interface LogPage {
  logs: LogLine[];
  next: number | null;
  finished: boolean | null;
}

/** A secret as listed: its name (values are never returned). */
export interface SecretInfo {
  name: string;
  updated_at?: number;
}

/** An API key as listed (never its secret). */
export interface ApiKeyInfo {
  id: string;
  name: string;
  /** Namespaces the key may use; null: every namespace. */
  namespaces: string[] | null;
  created_at: number;
}

/**
 * The HTTP client.
 *
 * @example
 * const client = new TributaryClient({ server: "http://127.0.0.1:8900" });
 * const { request_id } = await client.invoke("greet", { bytes: new TextEncoder().encode('"hi"'), contentType: "application/json" });
 * const detail = await client.getRequest("greet", request_id);
 */
export class TributaryClient {
  readonly transport: Transport;
  constructor(opts: ClientOptions = {}) {
    this.transport = new Transport(opts);
  }

  get server(): string {
    return this.transport.server;
  }

  get namespace(): string {
    return this.transport.namespace;
  }

  /** `GET /healthz`: resolves when the server answers 2xx. */
  async healthz(signal?: AbortSignal): Promise<unknown> {
    return this.transport.json("/healthz", { signal });
  }

  async deploy(body: DeployBody): Promise<DeployResponse> {
    return this.transport.json(this.transport.ns("applications"), { method: "POST", json: body });
  }

  async listApplications(): Promise<ApplicationSummary[]> {
    const v = await this.transport.json<unknown>(this.transport.ns("applications"));
    return listOf<ApplicationSummary>(v, "applications");
  }

  async getApplication(app: string): Promise<ApplicationDetail> {
    return this.transport.json(this.transport.ns("applications", app));
  }

  async deleteApplication(app: string): Promise<void> {
    await this.transport.json(this.transport.ns("applications", app), { method: "DELETE" });
  }

  /** `POST /applications/{app}`: an absent body means no input. */
  async invoke(app: string, input: InvokeInput = {}, signal?: AbortSignal): Promise<InvokeResponse> {
    const headers: Record<string, string> = {};
    if (input.idempotencyKey !== undefined) headers["idempotency-key"] = input.idempotencyKey;
    return this.transport.json(this.transport.ns("applications", app), {
      method: "POST",
      bytes: input.bytes ?? new Uint8Array(0),
      contentType: input.bytes ? input.contentType : undefined,
      headers,
      signal,
    });
  }

  async listRequests(app: string, opts: ListRequestsOptions = {}): Promise<RequestList> {
    const v = await this.transport.json<Partial<RequestList>>(this.transport.ns("applications", app, "requests"), {
      query: {
        cursor: opts.cursor,
        status: opts.status,
        id_prefix: opts.idPrefix,
        created_after: opts.createdAfter,
        created_before: opts.createdBefore,
        limit: opts.limit,
      },
    });
    return { requests: v?.requests ?? [], next_cursor: v?.next_cursor ?? null };
  }

  async getRequest(app: string, id: string, signal?: AbortSignal): Promise<RequestDetail> {
    return this.transport.json(this.transport.ns("applications", app, "requests", id), { signal });
  }

  /** The output bytes with the content type they were stored with. */
  async getOutput(app: string, id: string, signal?: AbortSignal): Promise<OutputBytes> {
    const res = await this.transport.send(this.transport.ns("applications", app, "requests", id, "output"), { signal });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { bytes, contentType: res.headers.get("content-type") ?? "application/octet-stream" };
  }

  async cancelRequest(app: string, id: string): Promise<void> {
    await this.transport.json(this.transport.ns("applications", app, "requests", id, "cancel"), { method: "POST" });
  }

  async deleteRequest(app: string, id: string): Promise<void> {
    await this.transport.json(this.transport.ns("applications", app, "requests", id), { method: "DELETE" });
  }

  /** The request's state as the server renders it (key → value). */
  async getState(app: string, id: string): Promise<Record<string, unknown>> {
    const v = await this.transport.json<unknown>(this.transport.ns("applications", app, "requests", id, "state"));
    const inner = (v as { state?: unknown } | undefined)?.state;
    return (isRecord(inner) ? inner : isRecord(v) ? v : {}) as Record<string, unknown>;
  }

  async getMetrics(app: string, id: string): Promise<MetricsResponse> {
    return this.transport.json(this.transport.ns("applications", app, "requests", id, "metrics"));
  }

  /**
   * One page of log lines after the cursor `after` (0: from the start). `next` is the cursor for the
   * following page; `finished` says the request had ended before this page was read, so an empty
   * page then means there is nothing more to come.
   */
  async getLogs(
    app: string,
    id: string,
    opts: { after?: number; limit?: number; signal?: AbortSignal } = {},
  ): Promise<LogPage> {
    const v = await this.transport.json<unknown>(this.transport.ns("applications", app, "requests", id, "logs"), {
      query: { after: opts.after, limit: opts.limit },
      signal: opts.signal,
    });
    const page = (isRecord(v) ? v : {}) as { next?: unknown; finished?: unknown };
    return {
      logs: listOf<LogLine>(v, "logs"),
      next: typeof page.next === "number" ? page.next : null,
      finished: typeof page.finished === "boolean" ? page.finished : null,
    };
  }

  /** `GET /openapi.json` of an application. */
  async getOpenApi(app: string): Promise<unknown> {
    return this.transport.json(this.transport.ns("applications", app, "openapi.json"));
  }

  /** `PUT /secrets/{name}` with `{ value }`. */
  async putSecret(name: string, value: string): Promise<void> {
    await this.transport.json(this.transport.ns("secrets", name), { method: "PUT", json: { value } });
  }

  async listSecrets(): Promise<SecretInfo[]> {
    const v = await this.transport.json<unknown>(this.transport.ns("secrets"));
    return listOf<string | SecretInfo>(v, "secrets").map((s) => (typeof s === "string" ? { name: s } : s));
  }

  async deleteSecret(name: string): Promise<void> {
    await this.transport.json(this.transport.ns("secrets", name), { method: "DELETE" });
  }

  /**
   * `POST /applications/{app}/cron-schedules`: a five-field UTC cron schedule, with an optional
   * JSON input for each request it makes.
   * @example const id = await client.createCronSchedule("report", "0 6 * * MON", { week: "last" });
   */
  async createCronSchedule(app: string, cronExpression: string, input?: unknown): Promise<string> {
    const json = input === undefined ? { cron_expression: cronExpression } : { cron_expression: cronExpression, input };
    const v = await this.transport.json<{ schedule_id: string }>(
      this.transport.ns("applications", app, "cron-schedules"),
      { method: "POST", json },
    );
    return v.schedule_id;
  }

  async listCronSchedules(app: string): Promise<CronScheduleInfo[]> {
    return listOf<CronScheduleInfo>(
      await this.transport.json<unknown>(this.transport.ns("applications", app, "cron-schedules")),
      "schedules",
    );
  }

  async deleteCronSchedule(app: string, id: string): Promise<void> {
    await this.transport.json(this.transport.ns("applications", app, "cron-schedules", id), { method: "DELETE" });
  }

  /**
   * `POST /v1/keys` (admin key only): a new key limited to `namespaces` (all when omitted). The
   * answer is the only time the key itself is shown.
   * @example const { id, key } = await admin.createKey("ci", ["team-a"]);
   */
  async createKey(name: string, namespaces?: string[]): Promise<ApiKeyInfo & { key: string }> {
    return this.transport.json("/v1/keys", { method: "POST", json: namespaces ? { name, namespaces } : { name } });
  }

  /** `GET /v1/keys` (admin key only). */
  async listKeys(): Promise<ApiKeyInfo[]> {
    return listOf<ApiKeyInfo>(await this.transport.json<unknown>("/v1/keys"), "keys");
  }

  /** `DELETE /v1/keys/{id}` (admin key only): the key gets 401 from now on. */
  async deleteKey(id: string): Promise<void> {
    await this.transport.json(`/v1/keys/${encodeURIComponent(id)}`, { method: "DELETE" });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A list served either bare or under `key`. */
function listOf<T>(v: unknown, key: string): T[] {
  if (Array.isArray(v)) return v as T[];
  const inner = isRecord(v) ? v[key] : undefined;
  return Array.isArray(inner) ? (inner as T[]) : [];
}
