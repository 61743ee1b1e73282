/**
 * `runRemote`: invokes a deployed application and returns a {@link Request} handle.
 *
 * Invariant: this module is reachable from the `tributary` SDK entry, so it imports only the HTTP
 * client, the SSE reader and core codecs; never bundling, esbuild or CLI code.
 */
import { encodeInput, decodeOutput, type Serializer } from "../core/codec.js";
import { RequestError, RequestFailedError } from "../core/errors.js";
import type { Request, RequestEvent, RequestOutcome } from "../core/request.js";
import { TributaryClient } from "./http.js";
import { requestStream } from "./sse.js";

/** Options of {@link runRemote}. */
export interface RunRemoteOptions {
  /** Server base URL. Default: `TRIBUTARY_SERVER`, else http://127.0.0.1:8900. */
  server?: string;
  /** Default: `TRIBUTARY_API_KEY`. */
  apiKey?: string;
  /** Default: `default`. */
  namespace?: string;
  /** Sent as `Idempotency-Key`: the same key yields the same request. */
  idempotencyKey?: string;
  /** How the input is encoded: "json" (default) or "structured". A `File` always goes raw. */
  serializer?: Serializer;
}

/**
 * Invokes the deployed application `appName` with `input` (omit it for no input).
 *
 * @example
 * const req = await runRemote("greet", "Hello, world!", { server: "http://127.0.0.1:8900" });
 * for await (const ev of req.progress()) console.log(ev.kind);
 * console.log(await req.output()); // "Hello, world! from greet!"
 */
export async function runRemote<O = unknown>(appName: string, input?: unknown, options: RunRemoteOptions = {}): Promise<Request<O>> {
  const client = new TributaryClient({ server: options.server, apiKey: options.apiKey, namespace: options.namespace });
  const encoded = encodeInput(input, options.serializer ?? "json");
  const { request_id } = await client.invoke(appName, {
    bytes: encoded?.bytes,
    contentType: encoded?.contentType,
    idempotencyKey: options.idempotencyKey,
  });
  return remoteRequest<O>(client, appName, request_id);
}

/**
 * A {@link Request} for an existing request id (the CLI uses it to follow a request).
 *
 * @example
 * const req = remoteRequest(new TributaryClient(), "greet", id);
 * const outcome = await req.finished();
 */
export function remoteRequest<O = unknown>(client: TributaryClient, app: string, id: string): Request<O> {
  let finished: Promise<RequestOutcome> | undefined;
  const waitFinished = (): Promise<RequestOutcome> => {
    // One stream serves every waiter; a failed wait is not cached so a later call can retry.
    if (!finished) {
      const p = drainToOutcome(client, app, id);
      finished = p;
      p.catch(() => {
        if (finished === p) finished = undefined;
      });
    }
    return finished;
  };
  return {
    id,
    finished: waitFinished,
    async output(): Promise<O> {
      const outcome = await waitFinished();
      if (outcome.status !== "succeeded") throw await failureError(client, app, id, outcome);
      const out = await client.getOutput(app, id);
      return decodeOutput(out.bytes, out.contentType) as O;
    },
    progress(): AsyncIterable<RequestEvent> {
      return {
        async *[Symbol.asyncIterator]() {
          for await (const item of requestStream(client.transport, app, id)) yield item.event;
        },
      };
    },
    async cancel(): Promise<void> {
      await client.cancelRequest(app, id);
    },
  };
}

async function drainToOutcome(client: TributaryClient, app: string, id: string): Promise<RequestOutcome> {
  for await (const item of requestStream(client.transport, app, id)) {
    if (item.type === "finished") return item.outcome;
  }
  // requestStream only ends after the outcome or by throwing; this is a broken server.
  throw new RequestFailedError("internal_error", `the progress stream of request ${id} ended without an outcome`, { requestId: id });
}

/** The error `output()` raises for a request that did not succeed (docs/semantics.md reasons). */
async function failureError(client: TributaryClient, app: string, id: string, outcome: RequestOutcome): Promise<Error> {
  const reason = outcome.status === "cancelled" ? "cancelled" : (outcome.failureReason ?? "internal_error");
  let message = outcome.error?.message;
  if (message === undefined && reason === "request_error") {
    // The outcome event may omit the message; the request metadata always carries it.
    message = await client.getRequest(app, id).then((d) => d.request_error?.message, () => undefined);
  }
  if (reason === "request_error") return new RequestError(message ?? "request failed with a RequestError");
  return new RequestFailedError(reason, message ? `request ${id} failed (${reason}): ${message}` : `request ${id} failed (${reason})`, {
    requestId: id,
    error: outcome.error ?? null,
  });
}
