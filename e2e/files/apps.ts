/**
 * Applications of the large-File end-to-end test. Deployed to a real server; imports only
 * "tributary" and node built-ins.
 */
import { createHash } from "node:crypto";
import { application, fn, type File } from "tributary";

/** Reads its input in chunks (never whole) and answers with what it saw. */
export const digest = application(
  fn({ timeout: 600, memory: 1 }, async function digest(upload: File) {
    const hash = createHash("sha256");
    let seen = 0;
    let chunks = 0;
    for await (const chunk of upload.stream()) {
      hash.update(chunk);
      seen += chunk.byteLength;
      chunks += 1;
    }
    return {
      size: upload.size,
      seen,
      chunks,
      contentType: upload.contentType,
      sha256: hash.digest("hex"),
      rss: process.memoryUsage.rss(),
    };
  }),
);

/** Reads a (small) input whole through `bytes`, as existing code does. */
export const whole = application(
  fn(async function whole(upload: File) {
    return { size: upload.size, bytes: upload.bytes.byteLength, head: upload.text().slice(0, 8) };
  }),
);
