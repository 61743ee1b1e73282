// Deploy derives an application's input/output JSON Schema from its handler's TypeScript types when
// it has no schema (DESIGN.md §1). Each case is a real source file read by the compiler; the derived
// schemas are then run through the server's own validator, so "the schema is right" means "the
// server accepts the values of the type and refuses the others, naming the path".
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deriveTypes, type DerivedTypes } from "../../src/client/type-schema/derive.js";
import { applyDerivedTypes } from "../../src/client/type-schema/apply.js";
import type { Manifest, ManifestApplication } from "../../src/core/manifest.js";
import { checkInput, inputContract } from "../../src/server/input-validation.js";

const SDK_TYPES = { tributary: fileURLToPath(new URL("../../src/index.d.ts", import.meta.url)) };

const SOURCE = `
import { application, fn, File } from "tributary";

export const t_string = application(fn(async function t_string(data: string): Promise<string> { return data; }));
export const t_number = application(fn(async (n: number) => n * 2));
export const t_bool = fn(async function t_bool(b: boolean) { return b; });

interface Address { street: string; zip?: string }
/** A person to look up. */
export interface Query {
  /** The full name. */
  name: string;
  age: number;
  nickname?: string;
  maybe: string | undefined;
  address: Address;
  tags: string[];
  scores: Record<string, number>;
}
export const t_object = application(fn(async function t_object(q: Query): Promise<{ found: boolean; ids: number[] }> {
  return { found: true, ids: [q.age] };
}));

export const t_array = application(fn(async function t_array(items: Array<{ id: number; label?: string }>) { return items.length; }));
export const t_tuple = application(fn(async function t_tuple(pair: [string, number]) { return pair; }));
export const t_enum = application(fn(async function t_enum(mode: "fast" | "slow" | 3) { return mode; }));
export const t_union = application(fn(async function t_union(v: string | { n: number } | null) { return v; }));
enum Color { Red = "red", Green = "green" }
export const t_ts_enum = application(fn(async function t_ts_enum(c: Color) { return c; }));
type Id = string & { readonly __brand: "Id" };
export const t_branded = application(fn(async function t_branded(id: Id) { return id; }));
interface Tree { value: number; children: Tree[] }
export const t_tree = application(fn(async function t_tree(t: Tree) { return t.value; }));

export const t_optional = application(fn(async function t_optional(name?: string) { return name ?? "nobody"; }));
export const t_default = application(fn(async function t_default(count = 3) { return count; }));
export const t_none = application(fn(async function t_none() { return 1; }));
export const t_unknown = application(fn(async function t_unknown(x: unknown) { return x; }));
export const t_file = application(fn(async function t_file(doc: File) { return doc.bytes.length; }));

export const t_date = application(fn(async function t_date(when: Date) { return when.getTime(); }));
export const t_map = application(fn(async function t_map(m: Map<string, number>) { return m.size; }));
export const t_nested_date = application(fn(async function t_nested_date(e: { at: Date }) { return 1; }));
class Counter { n = 0; inc() { this.n++; } }
export const t_class = application(fn(async function t_class(c: Counter) { return c.n; }));
class Plain { name = ""; size = 0 }
export const t_plain_class = application(fn(async function t_plain_class(p: Plain) { return p.size; }));
export const t_callback = application(fn(async function t_callback(cb: () => void) { return 1; }));
export const t_bigint = application(fn(async function t_bigint(b: bigint) { return 1; }));
export function generic<T>(x: T) { return x; }
export const t_generic = application(fn(async function t_generic<T>(x: T) { return x; }));
export const t_missing = application(fn(async function t_missing(x: NoSuchType) { return x; }));

export const t_two = application(fn(async function t_two(a: string, b: number) { return a + b; }));
export const t_two_optional = application(fn(async function t_two_optional(a: string, b?: number) { return a + (b ?? 0); }));

/**
 * Documented.
 * @param text what to shout
 * @example "hello there"
 */
export const t_doc = application(fn(async function t_doc(text: string) { return text.toUpperCase(); }));

const handler = async function t_named(s: string) { return s; };
export const t_named = application({ retries: { maxRetries: 1 } } as never, fn({ cpu: 1 }, handler));
export { t_string as t_alias };
`;

let dir: string;
let types: Map<string, DerivedTypes>;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tributary-types-"));
  writeFileSync(join(dir, "app.ts"), SOURCE);
  types = deriveTypes(join(dir, "app.ts"), SDK_TYPES);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function input(name: string): { schema: Record<string, unknown>; optional: boolean } {
  const d = types.get(name);
  assert.ok(d?.input?.kind === "json", `${name}: ${JSON.stringify(d)}`);
  return d.input as { schema: Record<string, unknown>; optional: boolean };
}

/** Runs `value` through the server's boundary check as if `name` had been deployed. */
function verdict(name: string, value: unknown): "ok" | string {
  const d = types.get(name)!;
  const app: ManifestApplication = {
    name,
    description: "",
    hasInputSchema: false,
    hasOutputSchema: false,
    spec: { tags: {}, retries: null, region: null, inputDeserializer: "json", outputSerializer: "json" },
  };
  applyDerivedTypes({ functions: [], classes: [], applications: [app] }, { [name]: name }, new Map([[name, d]]));
  try {
    const body = value === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(value));
    checkInput(body, "application/json", `test/${name}/${Math.random()}`, inputContract(app));
    return "ok";
  } catch (e) {
    return (e as { details?: { path?: string } }).details?.path ?? String(e);
  }
}

describe("types JSON Schema can express", () => {
  test("string, number, boolean", () => {
    assert.deepEqual(input("t_string"), {
      schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "string" },
      optional: false,
      parameter: "data",
      kind: "json",
    });
    assert.equal(input("t_number").schema.type, "number");
    assert.equal(input("t_bool").schema.type, "boolean");
    assert.equal(verdict("t_string", "hi"), "ok");
    assert.equal(verdict("t_string", 5), "$");
    assert.equal(verdict("t_string", undefined), "$"); // required: an empty body is a 400
    assert.equal(verdict("t_number", "5"), "$");
  });

  test("objects: nested, optional fields, arrays, records, JSDoc descriptions", () => {
    const s = input("t_object").schema as { properties: Record<string, Record<string, unknown>>; required: string[] };
    assert.deepEqual(s.required, ["name", "age", "address", "tags", "scores"]);
    assert.equal(s.properties.name!.description, "The full name.");
    assert.deepEqual(s.properties.address, {
      type: "object",
      properties: { street: { type: "string" }, zip: { type: "string" } },
      required: ["street"],
    });
    assert.deepEqual(s.properties.tags, { type: "array", items: { type: "string" } });
    assert.deepEqual(s.properties.scores, { type: "object", properties: {}, additionalProperties: { type: "number" } });
    const good = { name: "Ada", age: 36, address: { street: "Main" }, tags: [], scores: { a: 1 } };
    assert.equal(verdict("t_object", good), "ok");
    assert.equal(
      verdict("t_object", { ...good, nickname: "A", maybe: "x", address: { street: "Main", zip: "1" } }),
      "ok",
    );
    assert.equal(verdict("t_object", { ...good, age: "36" }), "$.age");
    assert.equal(verdict("t_object", { ...good, address: { zip: "1" } }), "$.address.street");
    assert.equal(verdict("t_object", { ...good, tags: ["a", 2] }), "$.tags[1]");
    assert.equal(verdict("t_object", { ...good, scores: { a: "x" } }), "$.scores.a");
    const { name: _n, ...noName } = good;
    assert.equal(verdict("t_object", noName), "$.name");
    // The output type too (awaited).
    assert.deepEqual(types.get("t_object")!.output, {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { found: { type: "boolean" }, ids: { type: "array", items: { type: "number" } } },
      required: ["found", "ids"],
    });
  });

  test("arrays of objects and tuples", () => {
    assert.equal(verdict("t_array", [{ id: 1 }, { id: 2, label: "b" }]), "ok");
    assert.equal(verdict("t_array", [{ id: 1 }, { label: "b" }]), "$[1].id");
    assert.equal(verdict("t_tuple", ["a", 1]), "ok");
    assert.equal(verdict("t_tuple", ["a", "b"]), "$[1]");
    assert.notEqual(verdict("t_tuple", ["a", 1, 2]), "ok");
  });

  test("unions: literals become enum, others anyOf, null allowed where declared", () => {
    assert.deepEqual(input("t_enum").schema.enum, ["fast", "slow", 3]);
    assert.equal(verdict("t_enum", "slow"), "ok");
    assert.equal(verdict("t_enum", "medium"), "$");
    assert.equal(verdict("t_union", "s"), "ok");
    assert.equal(verdict("t_union", { n: 1 }), "ok");
    assert.equal(verdict("t_union", null), "ok");
    assert.equal(verdict("t_union", 4), "$");
    assert.deepEqual(input("t_ts_enum").schema.enum, ["red", "green"]);
    assert.equal(verdict("t_branded", "id-1"), "ok");
    assert.equal(verdict("t_branded", 1), "$");
  });

  test("a recursive type goes to $defs", () => {
    const s = input("t_tree").schema;
    assert.equal(s.$ref, "#/$defs/Tree");
    assert.equal(verdict("t_tree", { value: 1, children: [{ value: 2, children: [] }] }), "ok");
    assert.equal(verdict("t_tree", { value: 1, children: [{ value: "2", children: [] }] }), "$.children[0].value");
  });

  test("optional and defaulted parameters allow no input; no parameter or an unknown one derives nothing", () => {
    assert.equal(input("t_optional").optional, true);
    assert.equal(verdict("t_optional", undefined), "ok");
    assert.equal(verdict("t_optional", 1), "$");
    assert.equal(input("t_default").optional, true);
    assert.equal(input("t_default").schema.type, "number");
    // unknown accepts anything, a File included: no contract at all.
    assert.equal(types.get("t_unknown")!.input, undefined);
    assert.equal(types.get("t_unknown")!.inputProblem, undefined);
    assert.equal(types.get("t_none")!.input, undefined);
    assert.equal(types.get("t_none")!.inputProblem, undefined);
  });

  test("a File parameter means raw bytes", () => {
    assert.deepEqual(types.get("t_file")!.input, { kind: "file", optional: false, parameter: "doc" });
  });

  test("JSDoc @param and @example; handlers wrapped in options or held in a variable; re-exports", () => {
    assert.deepEqual(input("t_doc").schema.examples, ["hello there"]);
    assert.equal(input("t_doc").schema.description, "what to shout");
    assert.equal(input("t_named").schema.type, "string");
    assert.equal(input("t_alias").schema.type, "string");
  });
});

describe("types JSON Schema cannot express stay unchecked, with a reason", () => {
  for (const [name, culprit] of [
    ["t_date", /parameter 'when' has type Date; Date cannot be expressed/],
    ["t_map", /parameter 'm' has type Map<string, number>; Map cannot be expressed/],
    ["t_nested_date", /parameter 'e' has type \{ at: Date; \}; Date cannot be expressed/],
    ["t_class", /parameter 'c' has type Counter; Counter \(it has the method inc\(\)\) cannot be expressed/],
    ["t_callback", /parameter 'cb' has type \(\) => void; the function type/],
    ["t_bigint", /bigint cannot be expressed/],
    ["t_generic", /the generic type parameter T cannot be expressed/],
    ["t_missing", /a type that does not resolve cannot be expressed/],
  ] as const) {
    test(name, () => {
      const d = types.get(name)!;
      assert.equal(d.input, undefined);
      assert.match(d.inputProblem ?? "", culprit);
      assert.match(d.inputProblem ?? "", /so its input is not checked$/);
    });
  }

  test("a class with fields only is plain data", () => {
    assert.deepEqual(input("t_plain_class").schema.required, ["name", "size"]);
  });
});

describe("several parameters", () => {
  test("the first is the input; a required second one is reported", () => {
    assert.equal(input("t_two").schema.type, "string");
    assert.match(
      types.get("t_two")!.extraParameterProblem ?? "",
      /parameter 'b' is required, but only the first parameter receives the request input/,
    );
    assert.equal(types.get("t_two_optional")!.extraParameterProblem, undefined);
  });
});

describe("applying to a manifest", () => {
  const app = (name: string, hasInputSchema = false): ManifestApplication => ({
    name,
    description: "",
    hasInputSchema,
    hasOutputSchema: false,
    spec: { tags: {}, retries: null, region: null, inputDeserializer: "json", outputSerializer: "json" },
    ...(hasInputSchema ? { inputJsonSchema: { type: "integer" } } : {}),
  });

  test("an explicit input schema wins; notices name the application and the parameter", () => {
    const manifest: Manifest = {
      functions: [],
      classes: [],
      applications: [app("t_string", true), app("t_date"), app("t_two"), app("unexported")],
    };
    const notices = applyDerivedTypes(manifest, { t_string: "t_string", t_date: "t_date", t_two: "t_two" }, types);
    const [explicit, date, two, unexported] = manifest.applications;
    assert.deepEqual(explicit!.inputJsonSchema, { type: "integer" });
    assert.equal(explicit!.inputFromType, undefined);
    assert.equal(explicit!.outputFromType, true); // no output schema: derived from the return type
    assert.equal(date!.inputFromType, undefined);
    assert.equal(date!.inputJsonSchema, undefined);
    assert.deepEqual(two!.inputFromType, { kind: "json", optional: false, parameter: "a" });
    assert.equal(unexported!.inputFromType, undefined);
    assert.deepEqual(notices, [
      "application t_date: parameter 'when' has type Date; Date cannot be expressed as JSON Schema, so its input is not checked",
      "application t_two: parameter 'b' is required, but only the first parameter receives the request input",
      "application unexported: its handler is not exported from the entry file, so its input is not checked (export it, or give it an input schema)",
    ]);
  });
});
