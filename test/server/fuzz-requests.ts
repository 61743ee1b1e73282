/**
 * The hostile request generator of the HTTP fuzz test: seeded, so a failing case is replayed by its
 * seed and index. Each request belongs to one class (what it attacks), for the printed figures.
 */
import v8 from "node:v8";
import { createRng, type Rng } from "../../e2e/chaos/rng.js";

export interface FuzzRequest {
  cls: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | string | null;
  /** True when the request is a well-formed invoke of a deployed app (it may be accepted). */
  invoke: boolean;
}

export interface FuzzKeys {
  admin: string | null;
  limited: string | null;
  executor: string | null;
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "get", "CONNECTX"];
const APPS = ["api_echo", "api_person"];
const HOSTILE_NAMES = [
  "..",
  "%2e%2e",
  "..%2f..%2fetc%2fpasswd",
  "%00",
  "a%00b",
  "%ff%fe",
  "名前",
  "🙂",
  "a b",
  "a%20b",
  "<script>alert(1)</script>",
  "'; DROP TABLE requests; --",
  "${jndi:ldap://x}",
  "x".repeat(300),
  "x".repeat(5000),
  "CON",
  "nul",
  ".",
  "-",
  "_",
  "a/b",
  "%252e%252e",
  "\\..\\",
  "__proto__",
  "constructor",
  "toString",
  "0",
  "-1",
  "1e309",
  "NaN",
  "default",
  "api_echo.x",
  "%E2%80%AE",
];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-16",
  "text/plain",
  "multipart/form-data; boundary=",
  "application/x-www-form-urlencoded",
  "application/vnd.tributary.structured",
  "application/octet-stream",
  "",
  ";;;",
  "application/json; " + "x=y;".repeat(500),
  "image/png",
  "application/jsonx",
  "APPLICATION/JSON",
];

function bytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(0, 255));
}

function malformedJson(rng: Rng): Uint8Array | string {
  return rng.pick<() => Uint8Array | string>([
    () => "{",
    () => '{"name": ',
    () => "[".repeat(rng.int(1_000, 20_000)),
    () => '{"a":' + "[".repeat(5_000) + "]".repeat(5_000) + "}",
    () => "1e99999",
    () => "NaN",
    () => "\uFEFF{}",
    () => '{"__proto__": {"polluted": true}, "name": "x"}',
    () => '{"name": "' + "\\u0000".repeat(100) + '"}',
    () => bytes(rng, rng.int(1, 200)),
    () => Uint8Array.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]),
    () => '"' + "x".repeat(rng.int(1, 300_000)) + '"', // past the 256 KiB body limit: 413
    () => JSON.stringify({ name: 5, age: "old" }),
    () => JSON.stringify({ name: "x", age: 1.5 }),
    () => JSON.stringify({ value: { nested: true } }),
    () => JSON.stringify({ manifest: { functions: "x" }, bundle: "" }),
    () =>
      JSON.stringify({ manifest: { functions: [], applications: [{ name: "../x" }], classes: [] }, bundle: "QQ==" }),
    () => new Uint8Array(v8.serialize({ a: new Map([[1, 2]]) })).subarray(0, rng.int(1, 10)),
    () => Uint8Array.from([0xff, 0x0f, ...bytes(rng, 30)]),
  ])();
}

function badAuth(rng: Rng, keys: FuzzKeys): string | undefined {
  const k = keys.admin ?? "no-key-configured";
  return rng.pick<() => string | undefined>([
    () => undefined,
    () => "Bearer",
    () => "Bearer ",
    () => "bearer " + k.slice(0, -1),
    () => "Bearer " + k + "x",
    () => "Bearer " + k.toUpperCase(),
    () => "Basic " + Buffer.from("admin:" + k).toString("base64"),
    () => "Bearer " + "k".repeat(rng.int(100, 20_000)),
    () => "Bearer " + (keys.executor ?? "x"),
    () => "Bearer " + (keys.limited ?? "y"),
    () => "Bearer " + k + " " + k,
    () => "Token " + k,
  ])();
}

function path(rng: Rng): { path: string; invoke: boolean } {
  const name = rng.next() < 0.5 ? rng.pick(APPS) : rng.pick(HOSTILE_NAMES);
  const ns = rng.next() < 0.6 ? "" : `/v1/namespaces/${rng.pick(["default", "other", ...HOSTILE_NAMES])}`;
  const id = rng.pick(["nope", "0".repeat(32), ...HOSTILE_NAMES]);
  const p = rng.pick([
    `${ns}/applications/${name}`,
    `${ns}/applications/${name}`,
    `${ns}/applications`,
    `${ns}/applications/${name}/requests`,
    `${ns}/applications/${name}/requests/${id}`,
    `${ns}/applications/${name}/requests/${id}/${rng.pick(["output", "state", "metrics", "logs", "cancel", "x"])}`,
    `${ns}/applications/${name}/openapi.json`,
    `${ns}/secrets/${name}`,
    `/v1/keys`,
    `/v1/keys/${id}`,
    `/v1/internal/bundles/${id}`,
    `/metrics`,
    `/ui/${name}`,
    `//${name}//`,
    `/${name}`,
  ]);
  const query = rng.pick([
    "",
    "",
    "?limit=-1",
    "?limit=1e9",
    "?status=bogus",
    "?cursor=%ff%00",
    "?cursor=" + "A".repeat(3000),
    "?wait=abc",
    "?wait=-5",
    "?wait=0",
    "?after=NaN",
    "?x=%",
  ]);
  const invoke =
    (ns === "" || ns === "/v1/namespaces/default") && p === `${ns}/applications/${name}` && APPS.includes(name);
  return { path: p + query, invoke };
}

/** The `i`-th hostile request of a seeded run. */
export function hostileRequests(seed: number, count: number, keys: FuzzKeys): FuzzRequest[] {
  const rng = createRng(seed);
  const out: FuzzRequest[] = [];
  const goodAuth = (): Record<string, string> => (keys.admin ? { authorization: `Bearer ${keys.admin}` } : {});
  for (let i = 0; i < count; i++) {
    const cls = rng.pick(["method", "path", "json", "headers", "content-type", "auth"]);
    const { path: p, invoke } = path(rng);
    const r: FuzzRequest = { cls, method: "POST", path: p, headers: goodAuth(), body: null, invoke };
    if (cls === "method") {
      r.method = rng.pick(METHODS);
      if (r.method !== "GET" && r.method !== "HEAD" && rng.next() < 0.5) r.body = "1";
    } else if (cls === "path") {
      r.method = rng.pick(["GET", "POST", "DELETE", "PUT"]);
    } else if (cls === "json") {
      r.method = rng.pick(["POST", "POST", "PUT"]);
      r.headers["content-type"] = "application/json";
      r.body = malformedJson(rng);
    } else if (cls === "headers") {
      const big = "v".repeat(rng.int(1_000, 40_000));
      Object.assign(
        r.headers,
        rng.pick<() => Record<string, string>>([
          () => ({ "x-big": big }),
          () => Object.fromEntries(Array.from({ length: rng.int(50, 400) }, (_, j) => [`x-h${j}`, "v"])),
          () => ({ "idempotency-key": rng.pick(["", " ", "\u00e9", "k".repeat(300), "a\tb"]) }),
          () => ({ "idempotency-key": "k".repeat(rng.int(1, 256)) }),
          () => ({ "last-event-id": rng.pick(["-1", "abc", "1e400", "9".repeat(400)]) }),
          () => ({ "content-length": String(rng.int(0, 2 ** 40)) }),
          () => ({ prefer: "wait=" + rng.pick(["abc", "-1", "99999", "0"]) }),
          () => ({ accept: rng.pick(["text/event-stream", "*/*", "application/xml"]) }),
        ])(),
      );
      r.body = rng.pick([null, "1", '"x"']);
    } else if (cls === "content-type") {
      r.headers["content-type"] = rng.pick(CONTENT_TYPES);
      r.body = rng.pick<() => Uint8Array | string | null>([
        () => "1",
        () => bytes(rng, rng.int(0, 500)),
        () => null,
        () => '{"name":"a","age":1}',
      ])();
    } else {
      const a = badAuth(rng, keys);
      delete r.headers.authorization;
      if (a !== undefined) r.headers.authorization = a;
      r.method = rng.pick(["GET", "POST", "DELETE"]);
      r.body = r.method === "POST" ? "1" : null;
    }
    // The deployed apps must survive to the end (the test invokes them last): no DELETE of them.
    if (/^delete$/i.test(r.method) && /\/applications\/api_(echo|person)(\?|$)/.test(r.path)) r.method = "GET";
    // A request is a candidate invoke only when it is a POST to a deployed app.
    r.invoke = r.invoke && r.method === "POST";
    out.push(r);
  }
  return out;
}
