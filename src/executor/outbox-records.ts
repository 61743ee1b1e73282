/**
 * The outbox's record format (outbox.ts): how a result and a tombstone are written to a log segment
 * and read back. A record is `[u32 length][body]`; a body is a result as JSON followed by its value's
 * raw bytes, a tombstone's attempt id, or (a result the JSON form cannot hold, and records of earlier
 * versions) a `v8.serialize` of the message, told apart by their first byte: `v8.serialize` cost
 * 12 µs a record, more than the write. A file of the earlier format (one per result) holds a
 * `v8.serialize` of the result alone.
 *
 * Invariants:
 * - a result with any field outside {@link JSON_FIELDS}, or an `ok` one whose value is not bytes, is
 *   written as `v8.serialize`, so reading gives back the message that was written;
 * - reading stops at the first torn or unreadable record (a death mid-write only ever tears the last
 *   one of a segment), and yields only results and tombstones that carry an attempt id.
 */
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import type { FromExecutor } from "../core/wire/executor.js";

/** A result as the executor sends it. */
export type OutboxEntry = Extract<FromExecutor, { t: "done" }>;

/** First byte of a body: a result as JSON and bytes, or a tombstone; 0xFF starts a `v8.serialize`. */
const RESULT = 0x01;
const TOMBSTONE = 0x02;
const V8_VERSION_TAG = 0xff;

type LogRecord = OutboxEntry | { t: "ack"; attemptId: string };

/** The fields a result's JSON form holds; a result with any other is kept as `v8.serialize`. */
const JSON_FIELDS = new Set(["t", "attemptId", "ok", "value", "contentType", "error", "reason", "usage", "notStarted"]);

/**
 * A result as one framed record: `[u32 length][RESULT][u32 json length][json][value bytes]`, the
 * JSON being the result without its value (plain data: ids, a PlainError, usage figures).
 */
export function record(m: OutboxEntry): Buffer {
  let plain = m.ok ? m.value instanceof Uint8Array : true;
  for (const k in m) if (!JSON_FIELDS.has(k)) plain = false;
  if (!plain) return frame(v8.serialize(m));
  let json: string;
  let value: Uint8Array | null = null;
  if (m.ok) {
    const { value: v, ...rest } = m;
    json = JSON.stringify(rest);
    value = v;
  } else {
    json = JSON.stringify(m);
  }
  const jsonBytes = Buffer.byteLength(json);
  const body = 1 + 4 + jsonBytes + (value?.byteLength ?? 0);
  const rec = Buffer.allocUnsafe(4 + body);
  rec.writeUInt32LE(body, 0);
  rec[4] = RESULT;
  rec.writeUInt32LE(jsonBytes, 5);
  rec.write(json, 9, "utf8");
  if (value) rec.set(value, 9 + jsonBytes);
  return rec;
}

/** The record that forgets a result: `[u32 length][TOMBSTONE][attempt id]`. */
export function tombstone(attemptId: string): Buffer {
  const idBytes = Buffer.byteLength(attemptId);
  const rec = Buffer.allocUnsafe(5 + idBytes);
  rec.writeUInt32LE(1 + idBytes, 0);
  rec[4] = TOMBSTONE;
  rec.write(attemptId, 5, "utf8");
  return rec;
}

/** `[u32 length][body]`. */
function frame(body: Uint8Array): Buffer {
  const rec = Buffer.allocUnsafe(4 + body.byteLength);
  rec.writeUInt32LE(body.byteLength, 0);
  rec.set(body, 4);
  return rec;
}

/** One record's body, or null when it is unreadable. */
function parseBody(body: Buffer): LogRecord | null {
  if (body.length === 0) return null;
  if (body[0] === TOMBSTONE) return { t: "ack", attemptId: body.toString("utf8", 1) };
  if (body[0] === RESULT) {
    if (body.length < 5) return null;
    const jsonBytes = body.readUInt32LE(1);
    if (5 + jsonBytes > body.length) return null;
    const m = JSON.parse(body.toString("utf8", 5, 5 + jsonBytes)) as LogRecord;
    if (m.t === "done" && m.ok) {
      // A copy of its own: the segment's buffer is not kept alive by one small result.
      m.value = new Uint8Array(body.subarray(5 + jsonBytes));
    }
    return m;
  }
  if (body[0] === V8_VERSION_TAG) return v8.deserialize(body) as LogRecord;
  return null;
}

/** The records of a segment; a torn or unreadable record ends it (only ever the last one). */
export function* records(buf: Buffer): Generator<LogRecord> {
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt32LE(at);
    if (at + 4 + len > buf.length) return;
    let r: LogRecord | null;
    try {
      r = parseBody(buf.subarray(at + 4, at + 4 + len));
    } catch {
      return;
    }
    if (r === null) return;
    at += 4 + len;
    if ((r?.t === "done" || r?.t === "ack") && typeof r.attemptId === "string") yield r;
  }
}

/** A result in a file of its own (the earlier format), or null when it is not one. */
export function readEntry(file: string): OutboxEntry | null {
  try {
    const m = v8.deserialize(readFileSync(file)) as OutboxEntry;
    return m?.t === "done" ? m : null;
  } catch {
    return null;
  }
}
