/**
 * The ready-to-paste `curl` line `tributary dev` prints for each application.
 */
import type { ManifestApplication } from "../core/manifest.js";
import { sampleFromSchema } from "./sample-input.js";

/** Quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The bytes the line sends to an application whose input is a `File`. */
export const SAMPLE_FILE_TEXT = "Hello, world!";

/**
 * A curl invoking `app` and waiting (`?wait=30`) so it prints the output itself. The body is a
 * sample of the application's input JSON Schema (its `input` schema, or the one deploy derived from
 * the handler's parameter type; a JSDoc `@example` is preferred), a short text for a `File` input,
 * and nothing when the input is unknown (an empty body means "no input"). A `structured` output is
 * binary, so it goes to `<app>.out` instead of the terminal.
 *
 * @example
 * curlFor("http://127.0.0.1:8900", "default", app);
 * // curl -X POST 'http://127.0.0.1:8900/v1/namespaces/default/applications/greet?wait=30' -H 'Content-Type: application/json' -d '"Hello, world!"'
 */
export function curlFor(server: string, namespace: string, app: ManifestApplication): string {
  const url = `${server}/v1/namespaces/${encodeURIComponent(namespace)}/applications/${encodeURIComponent(app.name)}?wait=30`;
  const parts = ["curl", "-X", "POST", shellQuote(url)];
  if (app.inputFromType?.kind === "file") {
    parts.push("-H", shellQuote("Content-Type: text/plain"), "--data-binary", shellQuote(SAMPLE_FILE_TEXT));
  } else {
    const sample = app.inputJsonSchema !== undefined ? sampleFromSchema(app.inputJsonSchema) : undefined;
    if (sample !== undefined)
      parts.push("-H", shellQuote("Content-Type: application/json"), "-d", shellQuote(JSON.stringify(sample)));
  }
  if (app.spec.outputSerializer === "structured") parts.push("-o", shellQuote(`${app.name}.out`));
  return parts.join(" ");
}
