/**
 * API errors: JSON `{ error: { code, message, details? } }` with the right status (docs/http-api.md).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { EngineError, type EngineErrorCode } from "../engine/index.js";
import { storeBusy, storeUnreachable } from "../store/unreachable.js";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown): ApiError =>
  new ApiError(400, "bad_request", message, details);
export const notFound = (message: string): ApiError => new ApiError(404, "not_found", message);
export const conflict = (message: string, details?: unknown): ApiError =>
  new ApiError(409, "conflict", message, details);
export const tooLarge = (message: string): ApiError => new ApiError(413, "payload_too_large", message);

/**
 * The one place an engine's domain error becomes HTTP: its status, and the API's error code (the
 * API keeps its historical codes for the statuses it shared with the server's own checks).
 */
const ENGINE_HTTP: Record<EngineErrorCode, { status: ContentfulStatusCode; code: string }> = {
  not_found: { status: 404, code: "not_found" },
  conflict: { status: 409, code: "conflict" },
  invalid_input: { status: 400, code: "bad_request" },
  too_large: { status: 413, code: "payload_too_large" },
  idempotency_key_reused: { status: 422, code: "idempotency_key_reused" },
};

/** @example fromEngineError(new EngineError("not_found", "request 'x' not found")).status // 404 */
export function fromEngineError(e: EngineError): ApiError {
  const { status, code } = ENGINE_HTTP[e.code];
  return new ApiError(status, code, e.message, e.details);
}

/**
 * The `ApiError` a thrown error answers with: itself, an engine error's mapping, else a logged 500
 * (the message of an unexpected error never reaches the client).
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof EngineError) return fromEngineError(e);
  if (storeUnreachable(e)) {
    // One line, not a stack per request: while the database is away every request lands here.
    process.stderr.write(`tributary server: the database is unreachable: ${(e as Error).message}\n`);
    return new ApiError(503, "store_unavailable", "the database is unreachable; retry shortly");
  }
  if (storeBusy(e)) {
    process.stderr.write(`tributary server: the database cannot take the write for now: ${(e as Error).message}\n`);
    return new ApiError(503, "store_unavailable", "the database is busy or out of resources; retry shortly");
  }
  process.stderr.write(`tributary server: ${(e as Error).stack ?? String(e)}\n`);
  return new ApiError(500, "internal", "internal error");
}

/** The JSON body of an error answer. */
export function errorBody(e: ApiError): { error: { code: string; message: string; details?: unknown } } {
  return { error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } };
}

/** RFC 6750: a 401 names the scheme the client should use. */
export const WWW_AUTHENTICATE = 'Bearer realm="tributary"';

export function errorResponse(c: Context, e: ApiError): Response {
  if (e.status === 401) c.header("www-authenticate", WWW_AUTHENTICATE);
  return c.json(errorBody(e), e.status);
}
