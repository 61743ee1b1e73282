/**
 * The ready-to-paste `curl` line `tributary dev` prints for each application.
 */
import type { ManifestApplication } from "../core/manifest.js";
import { sampleFromSchema } from "./sample-input.js";

/** Quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A curl invoking `app` and waiting (`?wait=30`) so it prints the output itself, with a JSON sample
 * body when the application has an input JSON schema (no body otherwise: the input's shape is
 * unknown, and an empty body means "no input").
 *
 * @example
 * curlFor("http://127.0.0.1:8900", "default", app);
 * // curl -X POST 'http://127.0.0.1:8900/v1/namespaces/default/applications/greet?wait=30' -H 'Content-Type: application/json' -d '"string"'
 */
export function curlFor(server: string, namespace: string, app: ManifestApplication): string {
  const url = `${server}/v1/namespaces/${encodeURIComponent(namespace)}/applications/${encodeURIComponent(app.name)}?wait=30`;
  const sample = app.inputJsonSchema !== undefined ? sampleFromSchema(app.inputJsonSchema) : undefined;
  const parts = ["curl", "-X", "POST", shellQuote(url)];
  if (sample !== undefined) parts.push("-H", shellQuote("Content-Type: application/json"), "-d", shellQuote(JSON.stringify(sample)));
  return parts.join(" ");
}
