/**
 * API errors: JSON `{ error: { code, message, details? } }` with the right status (docs/http-api.md).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

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

export const badRequest = (message: string, details?: unknown): ApiError => new ApiError(400, "bad_request", message, details);
export const notFound = (message: string): ApiError => new ApiError(404, "not_found", message);
export const conflict = (message: string, details?: unknown): ApiError => new ApiError(409, "conflict", message, details);
export const tooLarge = (message: string): ApiError => new ApiError(413, "payload_too_large", message);

export function errorResponse(c: Context, e: ApiError): Response {
  // RFC 6750: a 401 names the scheme the client should use.
  if (e.status === 401) c.header("www-authenticate", 'Bearer realm="tributary"');
  return c.json({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } }, e.status);
}
