/**
 * Domain errors of the engine. They say what went wrong in the engine's words (a code); the server
 * alone decides which HTTP status each code becomes, in one table.
 */

/**
 * - `not_found`: the application, function or request does not exist.
 * - `conflict`: the request is in a state that does not allow the operation.
 * - `invalid_input`: the caller's input is malformed.
 * - `too_large`: the input exceeds a limit.
 * - `idempotency_key_reused`: the idempotency key was used before with a different input.
 */
export type EngineErrorCode = "not_found" | "conflict" | "invalid_input" | "too_large" | "idempotency_key_reused";

/**
 * An operation the engine refused, with a code from `EngineErrorCode` and optional plain-data details.
 *
 * @example
 * try {
 *   await engine.invoke("default", "greet", { bytes, contentType: "application/json" }, "key-1");
 * } catch (e) {
 *   if (e instanceof EngineError && e.code === "idempotency_key_reused") console.error(e.message);
 * }
 */
export class EngineError extends Error {
  override readonly name = "EngineError";

  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
