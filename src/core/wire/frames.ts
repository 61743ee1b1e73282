/**
 * Length-prefixed frames for the container protocol over a byte stream (a Unix socket), used where
 * Node's fork channel cannot reach the container (the OCI backend): a 4-byte big-endian length,
 * then `v8.serialize` of one message, so bytes stay bytes exactly as over the fork channel.
 */
import v8 from "node:v8";

/** One message as a frame. */
export function encodeFrame(msg: unknown): Buffer {
  const body = v8.serialize(msg);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.byteLength, 0);
  return Buffer.concat([head, body]);
}

/** Reassembles frames from chunks split anywhere. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; returns the messages it completed, in order. */
  push(chunk: Buffer): unknown[] {
    this.buf = this.buf.byteLength === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: unknown[] = [];
    while (this.buf.byteLength >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.byteLength < 4 + len) break;
      out.push(v8.deserialize(this.buf.subarray(4, 4 + len)));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}
