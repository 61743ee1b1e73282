/**
 * A TypeScript type (as the compiler's checker sees it) to the JSON Schema (2020-12) of the JSON
 * values that have that type: the analogue of the seed's Python type hints for applications without
 * an `input` schema (DESIGN.md §1 "Input types without a schema").
 *
 * What maps: string / number / boolean / null and their literals, template literals (as strings),
 * enums and literal unions (`enum`), other unions (`anyOf`), arrays, tuples (`prefixItems`), plain
 * object types (interfaces, type literals, classes with fields only) with optional properties,
 * index signatures (`additionalProperties`), intersections of object types, branded primitives
 * (`string & { __brand }`), and recursive named types (`$defs` + `$ref`). `any` / `unknown` accept
 * anything (`{}`).
 *
 * What does not: a value JSON cannot carry or JSON Schema cannot describe (functions, objects with
 * methods such as class instances, Date, Map, Set, typed arrays, bigint, symbol, unresolved generic
 * parameters, types that do not resolve). Those throw {@link UnexpressibleType} naming the culprit;
 * the caller leaves the input unchecked and says so (never a schema that would reject good input).
 */
import ts from "typescript";

export type JsonSchema = Record<string, unknown>;

/** The type (or a part of it, named in `what`) has no JSON Schema. */
export class UnexpressibleType extends Error {
  constructor(readonly what: string) {
    super(`${what} cannot be expressed as JSON Schema`);
  }
}

/** Built-in object types whose values do not survive JSON (or need methods to be useful). */
const NOT_JSON = new Set([
  "Date",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "RegExp",
  "Promise",
  "Error",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Buffer",
  "Blob",
  "File",
  "URL",
  "URLSearchParams",
  "ReadableStream",
  "WritableStream",
  "Headers",
  "Request",
  "Response",
  "AbortSignal",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
]);

const MAX_DEPTH = 32;

interface Frame {
  name: string;
  recursive: boolean;
}

/**
 * Converts `type` with `checker`; throws {@link UnexpressibleType}.
 *
 * @example
 * const schema = typeToJsonSchema(checker, checker.getTypeAtLocation(param));
 * // for `data: { name: string; tags?: string[] }`:
 * // { $schema: "…/2020-12/schema", type: "object", properties: { name: { type: "string" },
 * //   tags: { type: "array", items: { type: "string" } } }, required: ["name"] }
 */
export function typeToJsonSchema(checker: ts.TypeChecker, type: ts.Type): JsonSchema {
  const conv = new Converter(checker);
  const root = conv.convert(type, 0);
  const out: JsonSchema = { $schema: "https://json-schema.org/draft/2020-12/schema", ...root };
  if (Object.keys(conv.defs).length > 0) out.$defs = conv.defs;
  return out;
}

/** True when `undefined` (or `void`) is one of the type's members: the value may be absent. */
export function includesUndefined(type: ts.Type): boolean {
  const members = type.isUnion() ? type.types : [type];
  return members.some((t) => (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0);
}

class Converter {
  readonly defs: Record<string, JsonSchema> = {};
  private readonly stack = new Map<ts.Type, Frame>();

  constructor(private readonly checker: ts.TypeChecker) {}

  convert(type: ts.Type, depth: number): JsonSchema {
    if (depth > MAX_DEPTH) throw new UnexpressibleType(`${this.name(type)} (nested too deeply)`);
    const f = type.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) {
      // The checker's error type is an `any` named "error": the type did not resolve (a missing import).
      if ((type as { intrinsicName?: string }).intrinsicName === "error")
        throw new UnexpressibleType("a type that does not resolve");
      return {};
    }
    if (f & ts.TypeFlags.StringLiteral) return { type: "string", const: (type as ts.StringLiteralType).value };
    if (f & ts.TypeFlags.NumberLiteral) return { type: "number", const: (type as ts.NumberLiteralType).value };
    if (f & ts.TypeFlags.BooleanLiteral)
      return { type: "boolean", const: (type as { intrinsicName?: string }).intrinsicName === "true" };
    if (f & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping))
      return { type: "string" };
    if (f & ts.TypeFlags.Number) return { type: "number" };
    if (f & ts.TypeFlags.Boolean) return { type: "boolean" };
    if (f & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) return { type: "null" };
    if (f & ts.TypeFlags.BigIntLike) throw new UnexpressibleType("bigint");
    if (f & ts.TypeFlags.ESSymbolLike) throw new UnexpressibleType("symbol");
    if (f & ts.TypeFlags.Never) throw new UnexpressibleType("never");
    if (f & ts.TypeFlags.TypeParameter) throw new UnexpressibleType(`the generic type parameter ${this.name(type)}`);
    if (type.isUnion()) return this.union(type, depth);
    if (type.isIntersection()) return this.intersection(type, depth);
    if (f & ts.TypeFlags.NonPrimitive) return { type: "object" }; // the `object` keyword
    if (f & ts.TypeFlags.Object) return this.object(type as ts.ObjectType, depth);
    throw new UnexpressibleType(this.name(type));
  }

  private union(type: ts.UnionType, depth: number): JsonSchema {
    // `undefined` members make a property optional (handled by the caller), not a JSON value.
    let members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
    const hasTrue = members.some(
      (t) => t.flags & ts.TypeFlags.BooleanLiteral && (t as { intrinsicName?: string }).intrinsicName === "true",
    );
    const hasFalse = members.some(
      (t) => t.flags & ts.TypeFlags.BooleanLiteral && (t as { intrinsicName?: string }).intrinsicName === "false",
    );
    const schemas: JsonSchema[] = [];
    if (hasTrue && hasFalse) {
      members = members.filter((t) => !(t.flags & ts.TypeFlags.BooleanLiteral));
      schemas.push({ type: "boolean" });
    }
    if (
      members.length > 0 &&
      schemas.length === 0 &&
      members.every((t) => t.flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral))
    ) {
      const values = members.map((t) => (t as ts.LiteralType).value as string | number);
      const types = [...new Set(values.map((v) => typeof v))];
      return { type: types.length === 1 ? types[0] : types, enum: values };
    }
    for (const m of members) schemas.push(this.convert(m, depth + 1));
    if (schemas.length === 0) return { type: "null" };
    return schemas.length === 1 ? schemas[0]! : { anyOf: schemas };
  }

  private intersection(type: ts.IntersectionType, depth: number): JsonSchema {
    // A branded primitive (`string & { readonly __brand: "Id" }`) is, on the wire, the primitive.
    const primitive = type.types.find(
      (t) => t.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike),
    );
    if (primitive) return this.convert(primitive, depth + 1);
    if (type.types.every((t) => t.flags & ts.TypeFlags.Object)) return this.properties(type, depth);
    throw new UnexpressibleType(this.name(type));
  }

  private object(type: ts.ObjectType, depth: number): JsonSchema {
    if (this.checker.isTupleType(type)) return this.tuple(type as ts.TupleTypeReference, depth);
    if (this.checker.isArrayType(type)) {
      const item = this.checker.getTypeArguments(type as ts.TypeReference)[0];
      return { type: "array", items: item ? this.convert(item, depth + 1) : {} };
    }
    if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0)
      throw new UnexpressibleType(`the function type ${this.name(type)}`);
    const symbolName = type.getSymbol()?.getName();
    if (symbolName !== undefined && NOT_JSON.has(symbolName)) throw new UnexpressibleType(symbolName);
    return this.properties(type, depth);
  }

  private tuple(type: ts.TupleTypeReference, depth: number): JsonSchema {
    const elements = this.checker.getTypeArguments(type);
    const flags = type.target.elementFlags;
    const prefix: JsonSchema[] = [];
    let rest: JsonSchema | false = false;
    elements.forEach((t, i) => {
      const s = this.convert(t, depth + 1);
      if ((flags[i] ?? 0) & (ts.ElementFlags.Rest | ts.ElementFlags.Variadic)) rest = s;
      else prefix.push(s);
    });
    const out: JsonSchema = { type: "array", prefixItems: prefix, items: rest, minItems: type.target.minLength };
    if (rest === false) out.maxItems = prefix.length;
    return out;
  }

  /** An object type by its properties; recursive named types go to `$defs`. */
  private properties(type: ts.Type, depth: number): JsonSchema {
    const seen = this.stack.get(type);
    if (seen) {
      seen.recursive = true;
      return { $ref: `#/$defs/${seen.name}` };
    }
    const frame: Frame = { name: this.defName(type), recursive: false };
    this.stack.set(type, frame);
    try {
      const schema = this.propertiesOf(type, depth);
      if (!frame.recursive) return schema;
      this.defs[frame.name] = schema;
      return { $ref: `#/$defs/${frame.name}` };
    } finally {
      this.stack.delete(type);
    }
  }

  private propertiesOf(type: ts.Type, depth: number): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const prop of this.checker.getPropertiesOfType(type)) {
      const key = prop.getName();
      if (prop.flags & ts.SymbolFlags.Method)
        throw new UnexpressibleType(`${this.name(type)} (it has the method ${key}())`);
      if (key.startsWith("__@")) throw new UnexpressibleType(`${this.name(type)} (a symbol-keyed property)`);
      const propType = this.checker.getTypeOfSymbol(prop);
      if (propType.getCallSignatures().length > 0)
        throw new UnexpressibleType(`${this.name(type)} (its property ${key} is a function)`);
      const schema = this.convert(propType, depth + 1);
      const doc = ts.displayPartsToString(prop.getDocumentationComment(this.checker)).trim();
      properties[key] = doc ? { description: doc, ...schema } : schema;
      if (!(prop.flags & ts.SymbolFlags.Optional) && !includesUndefined(propType)) required.push(key);
    }
    const out: JsonSchema = { type: "object", properties };
    if (required.length > 0) out.required = required;
    const index = this.checker
      .getIndexInfosOfType(type)
      .find((i) => i.keyType.flags & (ts.TypeFlags.String | ts.TypeFlags.Number));
    if (index) out.additionalProperties = this.convert(index.type, depth + 1);
    return out;
  }

  private name(type: ts.Type): string {
    return this.checker.typeToString(type);
  }

  /** A `$defs` key: the type's name, made unique. */
  private defName(type: ts.Type): string {
    const base = (type.aliasSymbol ?? type.getSymbol())?.getName().replace(/[^A-Za-z0-9_]/g, "") || "Type";
    let name = base === "__type" || base === "__object" ? "Type" : base;
    for (let i = 2; this.defs[name] !== undefined || [...this.stack.values()].some((f) => f.name === name); i++)
      name = `${base}${i}`;
    return name;
  }
}
