// Definition-time validation of every function/application option (docs/programming-model.md), with messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { application, fn, Retries, SDKUsageError, type FunctionOptions, type ApplicationOptions } from "tributary";
import { buildManifest } from "../../src/core/manifest.js";

let n = 0;
const uniq = (): string => `sdk_opt_${n++}`;
const define = (o: FunctionOptions) => fn({ ...o, name: uniq() }, async () => 1);
const defineApp = (o: ApplicationOptions) =>
  application(
    o,
    fn({ name: uniq() }, async () => 1),
  );

/** Asserts that `f` throws an SDKUsageError whose message matches `re`. */
function rejects(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof SDKUsageError, `expected SDKUsageError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

test("defaults follow the seed", () => {
  const f = define({});
  assert.equal(f.spec.cpu, 1);
  assert.equal(f.spec.memory, 1);
  assert.equal(f.spec.ephemeralDisk, 2);
  assert.equal(f.spec.timeout, 300);
  assert.equal(f.spec.gpu, null);
  assert.equal(f.spec.retries, null);
  assert.equal(f.spec.region, null);
  assert.deepEqual(f.spec.secrets, []);
});

const ranges: [keyof FunctionOptions, number, number][] = [
  ["cpu", 1, 8],
  ["memory", 1, 32],
  ["ephemeralDisk", 2, 50],
  ["timeout", 1, 172800],
];
for (const [option, lo, hi] of ranges) {
  test(`${option}: accepts ${lo}..${hi}, rejects outside with the range and the value`, () => {
    assert.equal(define({ [option]: lo }).spec[option as "cpu"], lo);
    assert.equal(define({ [option]: hi }).spec[option as "cpu"], hi);
    rejects(
      () => define({ [option]: lo - 0.5 }),
      new RegExp(`option '${option}' must be between ${lo} and ${hi}, got ${lo - 0.5}`),
    );
    rejects(
      () => define({ [option]: hi + 1 }),
      new RegExp(`option '${option}' must be between ${lo} and ${hi}, got ${hi + 1}`),
    );
    rejects(() => define({ [option]: Number.NaN }), new RegExp(`option '${option}' must be a number`));
    rejects(
      () => define({ [option]: "2" as unknown as number }),
      new RegExp(`option '${option}' must be a number between ${lo} and ${hi}, got "2"`),
    );
  });
}

test("gpu: MODEL, MODEL:COUNT or a list; counts 1..8", () => {
  assert.deepEqual(define({ gpu: "H100" }).spec.gpu, ["H100:1"]);
  assert.deepEqual(define({ gpu: ["A100:2", "H100:8"] }).spec.gpu, ["A100:2", "H100:8"]);
  rejects(() => define({ gpu: "H100:0" }), /option 'gpu' count must be between 1 and 8, got "H100:0"/);
  rejects(() => define({ gpu: "H100:9" }), /count must be between 1 and 8/);
  rejects(() => define({ gpu: "H100:2:3" }), /option 'gpu' must be "MODEL" or "MODEL:COUNT"/);
  rejects(() => define({ gpu: "" }), /option 'gpu'/);
  rejects(() => define({ gpu: [] }), /non-empty list/);
});

test("retries: maxRetries an integer 0..10; delays bounded; maxDelay ≥ initialDelay", () => {
  assert.deepEqual(define({ retries: new Retries({ maxRetries: 3 }) }).spec.retries, {
    maxRetries: 3,
    initialDelay: 1,
    delayMultiplier: 2,
    maxDelay: 60,
  });
  assert.deepEqual({ ...new Retries() }, { maxRetries: 0, initialDelay: 1, delayMultiplier: 2, maxDelay: 60 });
  rejects(() => new Retries({ maxRetries: 11 }), /option 'Retries.maxRetries' must be between 0 and 10, got 11/);
  rejects(() => new Retries({ maxRetries: -1 }), /must be between 0 and 10/);
  rejects(() => new Retries({ maxRetries: 1.5 }), /maxRetries' must be an integer between 0 and 10, got 1.5/);
  rejects(() => new Retries({ initialDelay: -1 }), /initialDelay' must be between 0 and 3600/);
  rejects(() => new Retries({ delayMultiplier: 0.5 }), /delayMultiplier' must be between 1 and 10/);
  rejects(
    () => new Retries({ initialDelay: 10, maxDelay: 5 }),
    /maxDelay' must be at least initialDelay \(10\), got 5/,
  );
  rejects(() => define({ retries: 3 as unknown as Retries }), /option 'retries' must be a Retries instance/);
  // A plain options object is accepted too.
  assert.equal(define({ retries: { maxRetries: 2 } }).spec.retries?.maxRetries, 2);
});

test("region: one of the known regions", () => {
  assert.equal(define({ region: "eu-west-1" }).spec.region, "eu-west-1");
  rejects(() => define({ region: "mars-1" }), /option 'region' must be one of "us-east-1", "eu-west-1"/);
  rejects(() => define({ region: "US EAST" }), /option 'region'/);
});

test("secrets: environment-variable names, no duplicates", () => {
  assert.deepEqual(define({ secrets: ["my_secret", "OTHER"] }).spec.secrets, ["my_secret", "OTHER"]);
  rejects(() => define({ secrets: ["bad-name"] }), /option 'secrets' entries must be environment-variable names/);
  rejects(() => define({ secrets: ["A", "A"] }), /lists a secret twice/);
  rejects(() => define({ secrets: "A" as unknown as string[] }), /must be an array/);
});

test("description, image and container counts", () => {
  rejects(() => define({ description: 5 as unknown as string }), /option 'description' must be a string/);
  rejects(() => define({ image: "ubuntu" as never }), /option 'image' must be an Image/);
  rejects(
    () => define({ minContainers: 5, maxContainers: 2 }),
    /option 'minContainers' must not exceed maxContainers \(2\)/,
  );
  rejects(() => define({ warmContainers: -1 }), /option 'warmContainers' must be between 0 and 1000/);
});

test("unknown option keys fail loudly", () => {
  rejects(() => define({ cpus: 2 } as unknown as FunctionOptions), /option 'cpus' is not a known option/);
  rejects(() => defineApp({ retry: 1 } as unknown as ApplicationOptions), /option 'retry' is not a known option/);
});

test("names: from the handler, overridable, validated, unique", () => {
  const f = fn(async function sdk_named_fn() {});
  assert.equal(f.functionName, "sdk_named_fn");
  assert.equal(fn({ name: "sdk_renamed" }, async function whatever() {}).functionName, "sdk_renamed");
  rejects(() => fn(async () => {}), /option 'name' must be a non-empty identifier/);
  rejects(() => fn({ name: "has space" }, async () => {}), /must match/);
  rejects(() => fn({ name: "x".repeat(129) }, async () => {}), /at most 128 characters/);
  rejects(() => fn(async function sdk_named_fn() {}), /function name 'sdk_named_fn' is defined twice/);
  rejects(() => fn(f as never), /already a Tributary function/);
});

test("application options: tags, serializers, schemas, twice", () => {
  const a = defineApp({
    tags: { language: "typescript" },
    retries: new Retries({ maxRetries: 3 }),
    region: "us-east-1",
    inputDeserializer: "structured",
    outputSerializer: "json",
  });
  assert.equal(a.functionName.startsWith("sdk_opt_"), true);
  rejects(() => defineApp({ tags: { a: 1 as unknown as string } }), /option 'tags.a' must be a string/);
  rejects(() => defineApp({ tags: [] as unknown as Record<string, string> }), /option 'tags' must be an object/);
  rejects(
    () => defineApp({ inputDeserializer: "pickle" as never }),
    /option 'inputDeserializer' must be "json" or "structured", got "pickle"/,
  );
  rejects(() => defineApp({ outputSerializer: "xml" as never }), /option 'outputSerializer'/);
  rejects(() => defineApp({ input: {} as never }), /option 'input' must be a Standard Schema/);
  const f = fn({ name: uniq() }, async () => 1);
  application(f);
  rejects(() => application(f), /marked as an application twice/);
  rejects(() => application({}, 5 as never), /option 'target' must be a function/);
});

test("application option allow: [\"unauthenticated_requests\"] makes it public; anything else is refused naming 'allow'", () => {
  const pub = defineApp({ allow: ["unauthenticated_requests"] });
  const priv = defineApp({});
  const specOf = (name: string) => buildManifest().applications.find((a) => a.name === name)?.spec;
  assert.deepEqual(specOf(pub.functionName)?.allow, ["unauthenticated_requests"]);
  assert.equal(specOf(priv.functionName)?.allow, undefined);
  assert.equal(specOf(defineApp({ allow: [] }).functionName)?.allow, undefined);
  rejects(
    () => defineApp({ allow: ["public"] as never }),
    /option 'allow' has an unknown value \(known: "unauthenticated_requests"\), got "public"/,
  );
  rejects(() => defineApp({ allow: "unauthenticated_requests" as never }), /option 'allow' must be a list/);
  rejects(
    () => defineApp({ allow: ["unauthenticated_requests", "unauthenticated_requests"] }),
    /option 'allow' lists a value twice/,
  );
  rejects(() => defineApp({ alow: [] } as never), /option 'alow' is not a known option \(known: [^)]*allow/);
});

test("calling a function outside any request runs its handler in-process", async () => {
  const add = fn(async function sdk_add(a: number, b: number) {
    return a + b;
  });
  assert.equal(await add(2, 3), 5);
  const sq = fn(async function sdk_sq(x: number) {
    return x * x;
  });
  assert.deepEqual(await sq.map([1, 2, 3]), [1, 4, 9]);
  assert.equal(await add.reduce([1, 2, 3], 10), 16);
  assert.equal(await add.reduce([1, 2, 3]), 6);
  await assert.rejects(add.reduce([]), /an empty list needs an initial value/);
});
