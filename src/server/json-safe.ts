/** Converts structured values (Map, Set, BigInt, Date, bytes) into JSON for API responses. */
import { isFile } from "../core/file.js";

export function jsonSafe(v: unknown, seen = new Set<object>()): unknown {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (v === undefined) return null;
  if (typeof v !== "object" || v === null) return v;
  if (seen.has(v)) return "[Circular]";
  seen.add(v);
  if (v instanceof Date) return v.toISOString();
  if (isFile(v)) return { file: { content_type: v.contentType, size: v.size } };
  if (ArrayBuffer.isView(v)) return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonSafe(x, seen)]));
  if (v instanceof Set) return [...v].map((x) => jsonSafe(x, seen));
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, seen));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x, seen)]));
}
