/**
 * `runRemote`: invokes a deployed application and returns a {@link Request} handle.
 *
 * Invariant: this module is reachable from the `tributary` SDK entry, so it imports only the HTTP
 * client, the SSE reader and core codecs; never bundling, esbuild or CLI code.
 */
import { encodeInput, decodeOutput, type Serializer } from "../core/codec.js";
import { RequestError, RequestFailedError } from "../core/errors.js";
import { eventSetOption, withFraction, type ProgressOptions } from "../core/event-set.js";
import type { Request, RequestEvent, RequestOutcome } from "../core/request.js";
import { TributaryClient } from "./http.js";
import { requestStream, type FinishedOutput } from "./sse.js";

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
export async function runRemote<O = unknown>(
  appName: string,
  input?: unknown,
  options: RunRemoteOptions = {},
): Promise<Request<O>> {
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
  let finished: Promise<Finished> | undefined;
  const waitFinished = (): Promise<Finished> => {
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
    finished: async () => (await waitFinished()).outcome,
    async output(): Promise<O> {
      const { outcome, output } = await waitFinished();
      if (outcome.status !== "succeeded") throw await failureError(client, app, id, outcome);
      // Inlined in RequestFinished when at most 1 MiB; a larger output is one more round trip.
      const out = output ?? (await client.getOutput(app, id));
      return decodeOutput(out.bytes, out.contentType) as O;
    },
    progress(options?: ProgressOptions): AsyncIterable<RequestEvent> {
      const events = eventSetOption(options);
      return {
        async *[Symbol.asyncIterator]() {
          for await (const item of requestStream(client.transport, app, id, { events })) yield withFraction(item.event);
        },
      };
    },
    async cancel(): Promise<void> {
      await client.cancelRequest(app, id);
    },
  };
}

/** The outcome of a request and its output when `RequestFinished` inlined it. */
interface Finished {
  outcome: RequestOutcome;
  output?: FinishedOutput | undefined;
}

async function drainToOutcome(client: TributaryClient, app: string, id: string): Promise<Finished> {
  for await (const item of requestStream(client.transport, app, id)) {
    if (item.type === "finished") return { outcome: item.outcome, output: item.output };
  }
  // requestStream only ends after the outcome or by throwing; this is a broken server.
  throw new RequestFailedError("internal_error", `the progress stream of request ${id} ended without an outcome`, {
    requestId: id,
  });
}

/** The error `output()` raises for a request that did not succeed (docs/semantics.md reasons). */
async function failureError(client: TributaryClient, app: string, id: string, outcome: RequestOutcome): Promise<Error> {
  const reason = outcome.status === "cancelled" ? "cancelled" : (outcome.failureReason ?? "internal_error");
  let message = outcome.error?.message;
  if (message === undefined && reason === "request_error") {
    // The outcome event may omit the message; the request metadata always carries it.
    message = await client.getRequest(app, id).then(
      (d) => d.request_error?.message,
      () => undefined,
    );
  }
  if (reason === "request_error") return new RequestError(message ?? "request failed with a RequestError");
  return new RequestFailedError(
    reason,
    message ? `request ${id} failed (${reason}): ${message}` : `request ${id} failed (${reason})`,
    {
      requestId: id,
      error: outcome.error ?? null,
    },
  );
}
