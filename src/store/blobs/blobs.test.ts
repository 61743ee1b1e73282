/** The blob contract on the local and in-memory stores, plus what only the local one does. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { blobContract } from "./contract.js";
import { BlobTooLargeError } from "./errors.js";
import { createLocalBlobStore } from "./local.js";
import { createMemoryBlobStore } from "./memory.js";

const root = mkdtempSync(join(tmpdir(), "tributary-blobs-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

blobContract("local", async () => createLocalBlobStore(join(root, String(++n))));
blobContract("memory", async () => createMemoryBlobStore());

test("local: localPath points at the stored file; no temp files are left behind", { timeout: 10_000 }, async () => {
  const dir = join(root, "paths");
  const b = createLocalBlobStore(dir);
  await b.put("a/b/c.txt", new TextEncoder().encode("hello"));
  assert.equal(readFileSync(b.localPath!("a/b/c.txt"), "utf8"), "hello");
  assert.equal(b.localPath!("a/b/c.txt"), join(dir, "a/b/c.txt"));
  await assert.rejects(
    b.putStream(
      "x",
      (async function* () {
        yield new Uint8Array(100);
      })(),
      5,
    ),
    BlobTooLargeError,
  );
  assert.deepEqual(readdirSync(join(dir, ".tmp")), [], "no partial file survives a rejected upload");
  assert.deepEqual(readdirSync(dir).sort(), [".tmp", "a"]);
});

test("local: two stores on one directory see each other's blobs", { timeout: 10_000 }, async () => {
  const dir = join(root, "shared");
  await createLocalBlobStore(dir).put("k", new Uint8Array([4, 2]));
  assert.deepEqual(await createLocalBlobStore(dir).get("k"), new Uint8Array([4, 2]));
});
