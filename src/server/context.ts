/** What every route handler needs. */
import type { Context } from "hono";
import type { Engine } from "../engine/index.js";
import type { BlobStore, Store } from "../store/types.js";
import type { SecretBox } from "./secrets-crypto.js";
import { checkNamespace } from "./names.js";

export interface ServerLimits {
  /** JSON and structured inputs, parsed in memory (default 100 MiB). */
  maxBodyBytes: number;
  /** `File` inputs streamed to the blob store (default 5 GiB). */
  maxFileBytes: number;
  /** Deploy bodies (default 256 MiB). */
  maxDeployBytes: number;
  /** Longest name in a path or a deployed manifest: namespace, application, function, secret, id (default 128). */
  maxNameLength: number;
}

export interface ServerContext {
  engine: Engine;
  store: Store;
  blobs: BlobStore;
  box: SecretBox;
  limits: ServerLimits;
  regions: string[];
  /** Wakes the cron ticker after a schedule was created or deleted (absent without one). */
  onSchedulesChanged?: () => void;
}

/** The namespace of a route: `/v1/namespaces/{ns}/…`, or `default` for the short paths. */
export function ns(c: Context): string {
  return checkNamespace(c.req.param("ns") ?? "default");
}
