// The container protocol's byte frames: bytes stay bytes wherever they are, data that looks like a
// placeholder stays data, frames split or joined anywhere come out whole and in order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeMessage, MessageDecoder } from "./byte-frames.js";

const sample = () => ({
  t: "map",
  id: 7,
  attemptId: "att_1",
  items: [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(40_000).fill(9)],
  nested: { deep: [{ value: new Uint8Array([255]) }], headers: [["x-a", "b"]] },
  // A message's own data that looks like a placeholder is left alone.
  update: { attributes: { "0": "null", places: '[["items"],3]' }, current: 1.5 },
  missing: null,
});

test("a message comes back equal, its bytes as Uint8Arrays, from one frame or from chunks of any size", () => {
  const msgs = [sample(), { t: "done", ok: true, value: new Uint8Array([110, 117, 108, 108]) }, { t: "booted" }];
  const stream = Buffer.concat(msgs.map(encodeMessage));
  for (const size of [1, 3, 7, 4096, stream.length]) {
    const d = new MessageDecoder();
    const out: unknown[] = [];
    for (let at = 0; at < stream.length; at += size) out.push(...d.push(stream.subarray(at, at + size)));
    assert.deepEqual(out, msgs, `chunks of ${size}`);
    const first = out[0] as ReturnType<typeof sample>;
    assert.equal(Object.getPrototypeOf(first.items[0]), Uint8Array.prototype);
  }
});

test("encoding never touches the sender's message, and decoded bytes are not the sender's", () => {
  const m = sample();
  const bytes = m.items[0]!;
  const [back] = new MessageDecoder().push(encodeMessage(m)) as [ReturnType<typeof sample>];
  assert.equal(m.items[0], bytes);
  assert.notEqual(back.items[0], bytes);
  back.items[0]![0] = 42;
  assert.equal(bytes[0], 1);
});
