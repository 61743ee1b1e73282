// The boundary codecs: structured copies (Map, Set, Date, BigInt, typed arrays, cycles, File),
// JSON rules, application input/output encoding.
import { test } from "node:test";
import v8 from "node:v8";
import assert from "node:assert/strict";
import {
  decodeInput,
  decodeOutput,
  decodeStructured,
  encodeInput,
  encodeJson,
  encodeOutput,
  encodeStructured,
  structuredCopy,
  JSON_CONTENT_TYPE,
  STRUCTURED_CONTENT_TYPE,
} from "../../src/core/codec.js";
import { File, fn, isFile, SerializationError, DeserializationError } from "tributary";

test("structuredCopy is a deep copy that keeps rich types and cycles", () => {
  const v: Record<string, unknown> = {
    map: new Map([["k", { n: 1 }]]),
    set: new Set([1, 2]),
    date: new Date(5),
    big: 10n ** 30n,
    bytes: new Uint8Array([7, 8]),
    nested: { list: [1, { deep: true }] },
  };
  v.self = v;
  const c = structuredCopy(v);
  assert.notEqual(c, v);
  assert.equal(c.self, c);
  assert.deepEqual((c.map as Map<string, unknown>).get("k"), { n: 1 });
  assert.notEqual((c.map as Map<string, unknown>).get("k"), (v.map as Map<string, unknown>).get("k"));
  assert.ok(c.set instanceof Set && c.date instanceof Date && c.bytes instanceof Uint8Array);
  assert.equal(c.big, 10n ** 30n);
  (c.nested as { list: unknown[] }).list.push(3);
  assert.equal((v.nested as { list: unknown[] }).list.length, 2);
});

test("Files survive structured encoding, nested and shared", () => {
  const f = new File("hello", "text/plain");
  const c = structuredCopy({ a: f, b: [f] });
  assert.ok(isFile(c.a));
  assert.equal(c.a.text(), "hello");
  assert.equal(c.a.contentType, "text/plain");
  assert.equal(c.b[0], c.a, "a shared File stays shared within one value");
});

test("values that cannot cross fail with a SerializationError naming the path", () => {
  assert.throws(
    () => encodeStructured({ a: [1, () => 2] }, "arguments"),
    (e: unknown) => e instanceof SerializationError && /arguments at \$\.a\[1\] is a function/.test(e.message),
  );
  const f = fn(async function codec_fn_obj() {});
  assert.throws(() => encodeStructured({ f }), /is a Tributary function object/);
  assert.throws(() => encodeStructured({ s: Symbol("x") }), /is a symbol/);
  assert.throws(() => encodeStructured(Promise.resolve(1)), /is a Promise/);
  assert.throws(() => decodeStructured(new Uint8Array()), DeserializationError);
});

test("JSON rules: undefined → null, BigInt and nested Files rejected, bad JSON is a DeserializationError", () => {
  assert.equal(new TextDecoder().decode(encodeJson(undefined)), "null");
  assert.throws(() => encodeJson({ n: 1n }), /BigInt/);
  assert.throws(() => encodeJson({ f: new File("x") }), /nested File/);
  assert.throws(() => decodeInput(new TextEncoder().encode("{oops"), JSON_CONTENT_TYPE, "json"), DeserializationError);
});

test("application input: none, JSON, structured, raw bytes as a File", () => {
  assert.equal(encodeInput(undefined, "json"), null);
  assert.deepEqual(decodeInput(new Uint8Array(), undefined, "json"), { present: false });
  const j = encodeInput({ a: 1 }, "json")!;
  assert.equal(j.contentType, JSON_CONTENT_TYPE);
  assert.deepEqual(decodeInput(j.bytes, j.contentType, "json"), { present: true, value: { a: 1 } });
  const s = encodeInput(new Map([[1, 2n]]), "structured")!;
  assert.equal(s.contentType, STRUCTURED_CONTENT_TYPE);
  assert.deepEqual(decodeInput(s.bytes, s.contentType, "structured"), { present: true, value: new Map([[1, 2n]]) });
  // The application boundary speaks plain v8.serialize bytes, no framing of ours.
  assert.deepEqual(Buffer.from(s.bytes), v8.serialize(new Map([[1, 2n]])));
  assert.deepEqual(decodeInput(v8.serialize(new Set(["x"])), STRUCTURED_CONTENT_TYPE, "json"), {
    present: true,
    value: new Set(["x"]),
  });
  const raw = decodeInput(new Uint8Array([1, 2]), "image/png", "json");
  assert.ok(raw.present && isFile(raw.value) && raw.value.contentType === "image/png");
});

test("application output: JSON by default, structured on request, a File goes out raw", () => {
  const j = encodeOutput({ matches: [] }, "json");
  assert.deepEqual(decodeOutput(j.bytes, j.contentType), { matches: [] });
  const s = encodeOutput(new Set([1]), "structured");
  assert.deepEqual(decodeOutput(s.bytes, s.contentType), new Set([1]));
  assert.deepEqual(v8.deserialize(s.bytes), new Set([1]));
  const nested = encodeOutput({ doc: new File("hi", "text/plain") }, "structured");
  assert.deepEqual(v8.deserialize(nested.bytes), {
    doc: { __tributary_file__: true, bytes: new TextEncoder().encode("hi"), contentType: "text/plain" },
  });
  const revived = decodeOutput(nested.bytes, nested.contentType) as { doc: File };
  assert.ok(isFile(revived.doc) && revived.doc.text() === "hi");
  const f = encodeOutput(new File("<p>", "text/html"), "json");
  assert.equal(f.contentType, "text/html");
  const back = decodeOutput(f.bytes, f.contentType);
  assert.ok(isFile(back) && back.text() === "<p>");
  assert.throws(() => new File("x", ""), /contentType must be a non-empty string/);
});
