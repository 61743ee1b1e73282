/**
 * A root input the executor handed over as a file (large uploads): a `File` input stays on disk and
 * is read only as the function asks (`stream()` in chunks, `bytes` whole); any other content type is
 * read and decoded as if it had come in the message.
 */
import { createReadStream, readFileSync } from "node:fs";
import {
  decodeInput,
  isJsonContentType,
  isStructuredContentType,
  type DecodedInput,
  type Serializer,
} from "../core/codec.js";
import { File } from "../core/file.js";

/** Node reads at most this much into one buffer (fs's own cap, 2 GiB − 1). */
const MAX_READ = 2 ** 31 - 1;

/**
 * @example const input = decodeInputFile(msg.argsFile, msg.root.contentType, msg.root.inputDeserializer);
 */
export function decodeInputFile(
  f: { path: string; size: number },
  contentType: string | null | undefined,
  deserializer: Serializer,
): DecodedInput {
  const ct = contentType?.trim() || null;
  if (f.size === 0 || ct === null || isJsonContentType(ct) || isStructuredContentType(ct))
    return decodeInput(readWhole(f), ct ?? undefined, deserializer);
  return {
    present: true,
    value: File.fromSource(
      {
        size: f.size,
        read: () => readWhole(f),
        async *stream() {
          for await (const chunk of createReadStream(f.path, { highWaterMark: 1024 * 1024 }))
            yield new Uint8Array((chunk as Buffer).buffer, (chunk as Buffer).byteOffset, (chunk as Buffer).byteLength);
        },
      },
      ct,
    ),
  };
}

function readWhole(f: { path: string; size: number }): Uint8Array {
  if (f.size > MAX_READ)
    throw new RangeError(`the input File is ${f.size} bytes, too large to read whole: read it with file.stream()`);
  const b = readFileSync(f.path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
