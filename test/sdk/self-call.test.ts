// A named function expression calling itself by its own name bypasses the durable function: warned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fn } from "tributary";

test("fn warns once when a handler calls itself by its own name, and only then", async () => {
  const seen: string[] = [];
  const on = (w: Error & { code?: string }): void => void (w.code === "TRIBUTARY_SELF_CALL" && seen.push(w.message));
  process.on("warning", on);
  try {
    fn(async function self_caller(n: number): Promise<number> {
      return n > 0 ? self_caller(n - 1) : 0;
    });
    fn(async function not_self(o: { not_self: (n: number) => number }) {
      return o.not_self(1);
    });
    const arrow_named = fn({ name: "arrow_named" }, async (n: number): Promise<number> =>
      n > 0 ? arrow_named(n - 1) : 0,
    );
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("warning", on);
  }
  assert.equal(seen.length, 1);
  assert.match(seen[0]!, /'self_caller' calls itself by its own name/);
});
