import type { Manifest } from "../core/manifest.js";

/** Prefix of the manifest line printed by extract-manifest (shared by both ends of that pipe). */
export const MANIFEST_MARKER = "@@tributary-manifest@@ ";

/** What extract-manifest prints after {@link MANIFEST_MARKER}, as JSON. */
export interface ExtractedManifest {
  manifest: Manifest;
  /** Application name → the entry's export that holds it (absent when not exported). */
  exportNames: Record<string, string>;
}
