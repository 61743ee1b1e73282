/**
 * Ids for requests and attempts: 11 hex digits of the millisecond clock, then 9 random hex digits
 * (20 characters, URL-safe). Time-ordered ids keep the store's B-trees appending at their right
 * edge, so inserts stay as cheap with a million finished requests as with none; the random part
 * keeps them unique across servers.
 */
import { randomBytes } from "node:crypto";

export function timeOrderedId(now: number = Date.now()): string {
  return Math.floor(now).toString(16).padStart(11, "0").slice(-11) + randomBytes(5).toString("hex").slice(0, 9);
}
