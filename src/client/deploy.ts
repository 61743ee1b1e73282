/**
 * `deploy`: bundle an entry and upload it with its manifest (`POST /applications`).
 */
import type { DeployResponse } from "../core/api.js";
import type { Manifest } from "../core/manifest.js";
import { bundleEntry } from "./bundle.js";
import type { DeployBody } from "../core/api-deploy.js";
import type { TributaryClient } from "./http.js";

export interface DeployResult extends DeployResponse {
  manifest: Manifest;
  /** What the user should know: applications whose input stays unchecked, and why. */
  notices: string[];
}

/**
 * Bundles `entryPath` and deploys every application it defines. Nothing is uploaded when bundling
 * or manifest extraction fails.
 *
 * @example
 * const { applications } = await deploy("app.ts", new TributaryClient());
 * // [{ name: "greet", version: 1 }]
 */
export async function deploy(entryPath: string, client: TributaryClient): Promise<DeployResult> {
  const { bundle, manifest, notices, context } = await bundleEntry(entryPath);
  const res = await client.deploy(deployBody(manifest, bundle, context));
  return { applications: res?.applications ?? [], manifest, notices };
}

/**
 * The body of a deploy: manifest, bundle and (when an image copies files) build context, base64.
 * @example await client.deploy(deployBody(manifest, bundle, context));
 */
export function deployBody(manifest: Manifest, bundle: Uint8Array, context: Uint8Array | null): DeployBody {
  return {
    manifest,
    bundle: Buffer.from(bundle).toString("base64"),
    ...(context ? { context: Buffer.from(context).toString("base64") } : {}),
  };
}
