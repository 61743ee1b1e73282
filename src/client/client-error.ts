/**
 * The one error type of the HTTP client: a non-2xx answer, or no answer at all.
 * The server's error body is `{ error: { code, message, details? } }` (docs/http-api.md).
 */
import type { ErrorBody } from "../core/api.js";

/**
 * A failed HTTP call. `status` is the HTTP status (0 when the server could not be reached), `code`
 * the server's machine-readable code (`not_found`, `invalid_input`, …).
 *
 * @example
 * try { await client.getApplication("nope"); }
 * catch (e) { if (e instanceof ClientError && e.status === 404) console.log(e.code, e.message); }
 */
export class ClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
  override get name(): string {
    return "ClientError";
  }
}

/** Builds the `ClientError` for a non-2xx response; never throws itself. */
export async function errorFromResponse(res: Response, what: string): Promise<ClientError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // The body is a courtesy; the status alone is still a complete error.
  }
  const body = parseErrorBody(text);
  if (body) return new ClientError(res.status, body.error.code, body.error.message, body.error.details);
  const reason = text.trim().slice(0, 500) || res.statusText || "no body";
  return new ClientError(res.status, `http_${res.status}`, `${what}: HTTP ${res.status}: ${reason}`);
}

/** The error for a server that could not be reached (connection refused, DNS, reset). */
export function unreachable(server: string, cause: unknown): ClientError {
  const c = cause as { cause?: { code?: string; message?: string }; message?: string };
  const detail = c?.cause?.code ?? c?.cause?.message ?? c?.message ?? String(cause);
  return new ClientError(0, "unreachable", `cannot reach the Tributary server at ${server} (${detail})`);
}

function parseErrorBody(text: string): ErrorBody | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<ErrorBody>;
    const err = v?.error;
    if (err && typeof err === "object" && typeof err.message === "string") {
      return {
        error: { code: typeof err.code === "string" ? err.code : "error", message: err.message, details: err.details },
      };
    }
  } catch {
    // Not JSON: the caller falls back to the raw text.
  }
  return undefined;
}
