/**
 * Application input checks at the HTTP boundary: JSON syntax, and the application's input schema (the
 * JSON Schema its zod schema produced at deploy), so a bad input is a 400 naming the field and no
 * request is created. The container validates again with the real schema before the function runs.
 */
import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import type Ajv2020Type from "ajv/dist/2020.js";
import { isJsonContentType } from "../core/codec.js";
import { badRequest } from "./http-error.js";

// ajv ships CommonJS; createRequire avoids ESM default-export interop differences.
const AjvCtor = createRequire(import.meta.url)("ajv/dist/2020.js").default as typeof Ajv2020Type.default;
const ajv = new AjvCtor({ allErrors: false, strict: false, validateFormats: false });
const cache = new Map<string, ValidateFunction | null>();

function validatorFor(key: string, schema: unknown): ValidateFunction | null {
  if (cache.has(key)) return cache.get(key)!;
  let v: ValidateFunction | null;
  try {
    const s = { ...(schema as Record<string, unknown>) };
    delete s.$schema;
    v = ajv.compile(s);
  } catch {
    v = null; // a schema ajv cannot compile is left to the container's own validation
  }
  cache.set(key, v);
  return v;
}

/** Throws a 400 for malformed JSON or a schema violation (with the failing path). */
export function checkInput(body: Uint8Array, contentType: string | null, schemaKey: string, schema: unknown): void {
  if (body.byteLength === 0) {
    if (schema !== undefined) throw badRequest("input is required by this application's schema", { path: "$" });
    return;
  }
  if (!isJsonContentType(contentType ?? "application/json")) return;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (e) {
    throw badRequest(`malformed JSON input: ${(e as Error).message}`, { path: "$" });
  }
  if (schema === undefined) return;
  const v = validatorFor(schemaKey, schema);
  if (!v || v(value)) return;
  const err = v.errors?.[0];
  const path = "$" + (err?.instancePath ?? "").split("/").filter(Boolean).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
  const missing = err?.keyword === "required" ? `.${String((err.params as { missingProperty?: string }).missingProperty)}` : "";
  throw badRequest(`input failed schema validation at ${path}${missing}: ${err?.message ?? "invalid"}`, { path: path + missing, issues: v.errors });
}
