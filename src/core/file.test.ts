import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { File, isFile } from "./file.js";

async function collect(f: File): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of f.stream()) out.push(c);
  return out;
}

describe("File", () => {
  it("streams in-memory bytes in chunks of at most 1 MiB, in order", async () => {
    const bytes = new Uint8Array(2.5 * 2 ** 20).map((_, i) => i % 251);
    const chunks = await collect(new File(bytes, "application/x-test"));
    assert.deepEqual(
      chunks.map((c) => c.byteLength),
      [2 ** 20, 2 ** 20, 2 ** 19],
    );
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(bytes));
    assert.deepEqual(await collect(new File(new Uint8Array(0))), []);
  });

  it("keeps bytes an own enumerable property, as before sources existed", () => {
    const f = new File("hi", "text/plain");
    assert.deepEqual(Object.keys(f).sort(), ["bytes", "contentType"]);
    assert.equal(f.size, 2);
    assert.equal(f.text(), "hi");
  });

  it("a file-backed File reads its source only when asked, and once", async () => {
    let reads = 0;
    let streams = 0;
    const f = File.fromSource(
      {
        size: 5,
        read: () => (reads++, new TextEncoder().encode("hello")),
        async *stream() {
          streams++;
          yield new TextEncoder().encode("hel");
          yield new TextEncoder().encode("lo");
        },
      },
      "text/plain",
    );
    assert.ok(isFile(f));
    assert.equal(f.size, 5);
    assert.equal(f.contentType, "text/plain");
    assert.equal(reads, 0, "size and contentType read nothing");
    assert.deepEqual(
      (await collect(f)).map((c) => new TextDecoder().decode(c)),
      ["hel", "lo"],
    );
    assert.equal(reads, 0, "stream() does not read the whole source");
    assert.equal(streams, 1);
    assert.equal(f.text(), "hello");
    assert.equal(f.bytes.byteLength, 5);
    assert.equal(reads, 1, "bytes is read once and kept");
  });
});
