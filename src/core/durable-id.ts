/**
 * Deterministic durable call ids (docs/semantics.md): a child's id is derived from its parent's id, its
 * sequence number in the parent attempt and the function name, so a retried parent asks for the same
 * ids in the same order and finds the journaled results.
 */
import { createHash } from "node:crypto";

/**
 * SHA-256 of `len:part|` for each part, first 32 hex digits. The parts are joined first and hashed
 * in one `update` (the same bytes, so the same ids as hashing them part by part): each `update` is
 * a call into native code, and this runs for every call the engine creates.
 */
function hash(parts: readonly (string | number)[]): string {
  let text = "";
  for (const p of parts) {
    const s = String(p);
    text += `${s.length}:${s}|`;
  }
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/** The id of a request's root call (the application function). */
export function rootCallId(requestId: string, functionName: string): string {
  return hash(["root", requestId, functionName]);
}

/** The id of the `seq`-th call made by one attempt of `parentId` (the same in every attempt). */
export function childCallId(parentId: string, seq: number, functionName: string): string {
  return hash(["call", parentId, seq, functionName]);
}

/** The id of item `index` of a `map` or step `index` of a `reduce` issued at position `seq`. */
export function itemCallId(
  parentId: string,
  seq: number,
  functionName: string,
  op: "map" | "reduce",
  index: number,
): string {
  return hash([op, parentId, seq, functionName, index]);
}
