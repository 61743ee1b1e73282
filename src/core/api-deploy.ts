/**
 * JSON shapes of the HTTP API that carry the manifest or function options. Kept apart from
 * `api.ts` because these types reach the Node codecs, which the browser dashboard must not see.
 */
import type { ApplicationSummary } from "./api.js";
import type { Manifest, ManifestApplication } from "./manifest.js";
import type { FunctionSpec } from "./options.js";

/** Body of `POST /v1/namespaces/{ns}/applications`. */
export interface DeployBody {
  manifest: Manifest;
  /** The esbuild bundle (ESM), base64. */
  bundle: string;
  /** The build context (core/build-context.ts), base64: the files `Image.copy` steps read. */
  context?: string;
}

/** Answer of `GET …/applications/{name}`. */
export interface ApplicationDetail extends ApplicationSummary {
  application: ManifestApplication;
  function_specs: FunctionSpec[];
}
