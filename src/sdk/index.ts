/**
 * The public programming model: `import { application, fn, cls, … } from "tributary"`.
 * Invariant: nothing here imports server, store or executor code, so user bundles stay small.
 */
export { application, fn, isTributaryFunction } from "./function.js";
export type { ApplicationOptions, FunctionOptions, TributaryFunction } from "./function.js";
export { cls } from "./cls.js";
export type { ClsOptions } from "./cls.js";
export { Retries } from "./retries.js";
export type { RetriesOptions } from "./retries.js";
export { Image } from "./image.js";
export type { ImageOptions } from "./image.js";
export { RequestContext, RequestState, RequestProgress, RequestMetrics } from "./context.js";
export { File, isFile } from "../core/file.js";
export {
  TributaryError,
  SDKUsageError,
  FunctionError,
  TimeoutError,
  RequestError,
  SerializationError,
  DeserializationError,
  NonDeterminismError,
  CancelledError,
  InternalError,
  RequestFailedError,
  isTributaryError,
  isErrorNamed,
} from "../core/errors.js";
export type { ErrorName, PlainError } from "../core/errors.js";
export { SchemaValidationError } from "../core/schema.js";
export type { Status, FailureReason, Outcome } from "../core/status.js";
