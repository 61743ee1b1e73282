/**
 * Application input checks at the HTTP boundary: JSON syntax, and the application's input schema (the
 * JSON Schema its zod schema produced at deploy, or the one deploy derived from the handler's
 * parameter type when it has no schema), so a bad input is a 400 naming the field and no request is
 * created. The container validates again with a real (zod) schema before the function runs.
 */
import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import type Ajv2020Type from "ajv/dist/2020.js";
import { isJsonContentType } from "../core/codec.js";
import type { ManifestApplication } from "../core/manifest.js";
import { ApiError, badRequest } from "./http-error.js";

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

/** What an application accepts as its request input. */
export interface InputContract {
  /** The JSON Schema JSON inputs must satisfy (undefined: any JSON). */
  schema: unknown;
  /** An empty body (no input) is refused. */
  required: boolean;
  /** `json`: JSON or structured data only (a file is a 415); `file`: raw bytes only; `any`: both. */
  accepts: "json" | "file" | "any";
  /** Why, for messages: "its input schema", "its parameter 'data'". */
  source: string;
}

/**
 * The input contract of an application: its explicit schema, else what deploy derived from the
 * handler's parameter type (DESIGN.md §1), else anything.
 *
 * @example
 * inputContract(app); // { schema: { type: "string" }, required: true, accepts: "json", source: "its parameter 'data'" }
 */
export function inputContract(app: ManifestApplication): InputContract {
  if (app.hasInputSchema)
    return { schema: app.inputJsonSchema ?? {}, required: true, accepts: "json", source: "its input schema" };
  const t = app.inputFromType;
  if (!t) return { schema: undefined, required: false, accepts: "any", source: "" };
  const source = `its parameter '${t.parameter}'`;
  if (t.kind === "file") return { schema: undefined, required: !t.optional, accepts: "file", source };
  return { schema: app.inputJsonSchema, required: !t.optional, accepts: "json", source };
}

/** The 415 for a body of the wrong kind (a file where JSON is expected, or the reverse). */
export function wrongInputKind(app: string, contract: InputContract, contentType: string | null): ApiError {
  const wants = contract.accepts === "file" ? "a file (raw bytes with their content type)" : "JSON input";
  return new ApiError(
    415,
    "unsupported_media_type",
    `application '${app}' takes ${wants} (${contract.source}), got content type ${contentType ?? "none"}`,
    { path: "content-type" },
  );
}

/** Throws a 400 for a missing required input, malformed JSON or a schema violation (with the failing path). */
export function checkInput(
  body: Uint8Array,
  contentType: string | null,
  schemaKey: string,
  contract: InputContract,
): void {
  const schema = contract.schema;
  if (body.byteLength === 0) {
    if (contract.required) throw badRequest(`input is required by ${contract.source}`, { path: "$" });
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
  const path =
    "$" +
    (err?.instancePath ?? "")
      .split("/")
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
      .join("");
  const missing =
    err?.keyword === "required" ? `.${String((err.params as { missingProperty?: string }).missingProperty)}` : "";
  throw badRequest(`input failed schema validation at ${path}${missing}: ${err?.message ?? "invalid"}`, {
    path: path + missing,
    issues: v.errors,
  });
}
