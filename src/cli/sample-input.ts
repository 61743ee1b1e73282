/**
 * A plausible sample value for a JSON Schema (as zod 4 emits it), for the ready-to-paste `curl`
 * lines of `tributary dev`. Not a validator: it prefers `examples`, `default`, `const` and `enum`,
 * then builds the smallest value of the declared type, and gives up (undefined) on what it cannot
 * guess.
 */

type Schema = Record<string, unknown>;

const MAX_DEPTH = 8;

/**
 * @example
 * sampleFromSchema({ type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"] });
 * // { name: "string", age: 0 }
 */
export function sampleFromSchema(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (depth > MAX_DEPTH || typeof schema !== "object" || schema === null) return undefined;
  const s = schema as Schema;
  if (typeof s.$ref === "string") return sampleFromSchema(resolveRef(root, s.$ref), root, depth + 1);
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const k of ["anyOf", "oneOf"] as const) {
    const alts = s[k];
    if (Array.isArray(alts)) {
      // Prefer an alternative that is not null: `x | null` samples as x.
      const nonNull = alts.find((a) => (a as Schema | null)?.type !== "null") ?? alts[0];
      return sampleFromSchema(nonNull, root, depth + 1);
    }
  }
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((p) => sampleFromSchema(p, root, depth + 1));
    return parts.every(isObject) ? Object.assign({}, ...parts) : parts[0];
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? s.type[0]) : s.type;
  switch (type) {
    case "string":
      return s.format === "date-time" ? "2025-01-01T00:00:00Z" : s.format === "email" ? "user@example.com" : "string";
    case "integer":
    case "number":
      return sampleNumber(s);
    case "boolean":
      return false;
    case "null":
      return null;
    case "array": {
      // A tuple (`[string, number]` derived from a type): one sample per position.
      if (Array.isArray(s.prefixItems)) return s.prefixItems.map((p) => sampleFromSchema(p, root, depth + 1) ?? null);
      const item = sampleFromSchema(s.items, root, depth + 1);
      return item === undefined ? [] : [item];
    }
    case "object":
    case undefined: {
      const props = s.properties as Record<string, unknown> | undefined;
      if (!props) return type === "object" ? {} : undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) {
        const val = sampleFromSchema(v, root, depth + 1);
        if (val !== undefined) out[k] = val;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** 0 when the bounds allow it (zod's int() declares the safe-integer range), else the nearest bound. */
function sampleNumber(s: Schema): number {
  const min =
    typeof s.minimum === "number"
      ? s.minimum
      : typeof s.exclusiveMinimum === "number"
        ? s.exclusiveMinimum + 1
        : -Infinity;
  const max =
    typeof s.maximum === "number"
      ? s.maximum
      : typeof s.exclusiveMaximum === "number"
        ? s.exclusiveMaximum - 1
        : Infinity;
  if (min <= 0 && 0 <= max) return 0;
  return min > 0 ? min : max;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Resolves a local `#/a/b` pointer; anything else is not guessed. */
function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    cur = isObject(cur) ? cur[key] : undefined;
  }
  return cur;
}
