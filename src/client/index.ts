/**
 * The client side of Tributary: the HTTP client, the SSE reader, `runRemote` and the deploy tools.
 * Not re-exported by the SDK entry (which takes only run-remote), so esbuild stays out of bundles.
 */
export {
  TributaryClient,
  type InvokeInput,
  type LogPage,
  type ListRequestsOptions,
  type OutputBytes,
  type SecretInfo,
  type ApiKeyInfo,
  type CronScheduleInfo,
} from "./http.js";
export { ClientError } from "./client-error.js";
export { resolveClientOptions, DEFAULT_SERVER, DEFAULT_NAMESPACE, type ClientOptions } from "./config.js";
export { SseParser, readSse, requestStream, type SseMessage, type StreamItem } from "./sse.js";
export { runRemote, remoteRequest, type RunRemoteOptions } from "./run-remote.js";
export { bundleEntry, BundleError, type BundleResult } from "./bundle.js";
export { deploy, type DeployResult } from "./deploy.js";
