/**
 * Ids for requests and attempts: 11 hex digits of the millisecond clock, then 9 random hex digits
 * (20 characters, URL-safe). Time-ordered ids keep the store's B-trees appending at their right
 * edge, so inserts stay as cheap with a million finished requests as with none; the random part
 * keeps them unique across servers.
 */
import { randomBytes } from "node:crypto";

// Random bytes drawn from the CSPRNG in blocks: one syscall per 1,000 ids, not one per id.
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex9(): string {
  if (offset + 5 > pool.length) {
    pool = randomBytes(5000);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + 5);
  offset += 5;
  return hex.slice(0, 9);
}

export function timeOrderedId(now: number = Date.now()): string {
  return Math.floor(now).toString(16).padStart(11, "0").slice(-11) + randomHex9();
}
