/**
 * Standard Schema support (zod 4 first-class): validation at the application boundary and JSON
 * Schema for the OpenAPI document.
 */
import type { StandardSchemaV1, StandardJSONSchemaV1 } from "@standard-schema/spec";
import { DeserializationError } from "./errors.js";

export type AnySchema = StandardSchemaV1<unknown, unknown>;

/** One failing field: a JSON-pointer-like dotted path and the schema's message. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** The value did not satisfy the application's input or output schema. */
export class SchemaValidationError extends DeserializationError {
  constructor(
    readonly what: "input" | "output",
    readonly issues: SchemaIssue[],
  ) {
    super(`${what} failed schema validation at ${issues[0]?.path ?? "$"}: ${issues[0]?.message ?? "invalid"}`);
  }
  /** The path of the first failing field. */
  get path(): string {
    return this.issues[0]?.path ?? "$";
  }
}

export function isStandardSchema(v: unknown): v is AnySchema {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as { "~standard"?: { validate?: unknown } })["~standard"]?.validate === "function"
  );
}

function pathOf(issue: StandardSchemaV1.Issue): string {
  let out = "$";
  for (const seg of issue.path ?? []) {
    const key = typeof seg === "object" && seg !== null ? seg.key : seg;
    out += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  }
  return out;
}

/** Validates `value`; resolves to the schema's output value or throws `SchemaValidationError`. */
export async function validateSchema(schema: AnySchema, value: unknown, what: "input" | "output"): Promise<unknown> {
  let result = schema["~standard"].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    throw new SchemaValidationError(
      what,
      result.issues.map((i) => ({ path: pathOf(i), message: i.message })),
    );
  }
  return result.value;
}

/** JSON Schema of a schema that offers one (zod 4 does), else undefined. */
export function jsonSchemaOf(schema: AnySchema | undefined, io: "input" | "output"): unknown {
  const conv = (schema as unknown as StandardJSONSchemaV1 | undefined)?.["~standard"]?.jsonSchema;
  if (!conv) return undefined;
  try {
    return conv[io]({ target: "draft-2020-12" });
  } catch {
    return undefined;
  }
}
