/**
 * The plain-data form of an error, on its own so that the API shapes (api.ts, request.ts) reach no
 * Node code: the dashboard's browser modules type-check against them without Node types. The
 * classes and conversions are in errors.ts, which re-exports this type.
 */

/** The serializable form of any error that crosses a process boundary. */
export interface PlainError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** False for errors that must never be retried (`RequestError`, non-determinism). */
  retryable: boolean;
  /** The function that raised it, when known. */
  functionName?: string | undefined;
  /** Nested cause (the child's error for a `FunctionError`). */
  cause?: PlainError | undefined;
}
