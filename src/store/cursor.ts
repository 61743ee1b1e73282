/**
 * The opaque cursor of `listRequests`: the (createdAt, id) of the last row of a page, newest first.
 * Shared by every adapter so a cursor means the same thing whichever store produced it.
 *
 * Pagination is keyset-based: the next page holds rows strictly before (createdAt, id) in the order
 * (createdAt DESC, id DESC). Ties on createdAt are broken by id, so pages never repeat or skip a row,
 * even when rows are inserted between page reads.
 */

/** Thrown for a cursor this store did not produce (the HTTP layer answers 400). */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`invalid cursor ${JSON.stringify(cursor.length > 64 ? cursor.slice(0, 64) + "…" : cursor)}`);
    this.name = "InvalidCursorError";
  }
}

export interface CursorPosition {
  createdAt: number;
  id: string;
}

/**
 * @example
 * encodeCursor({ createdAt: 1700000000000, id: "req_1" }); // "WzE3MDAwMDAwMDAwMDAsInJlcV8xIl0"
 */
export function encodeCursor(p: CursorPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id]), "utf8").toString("base64url");
}

/** Decodes a cursor from {@link encodeCursor}; throws {@link InvalidCursorError} otherwise. */
export function decodeCursor(cursor: string): CursorPosition {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (!Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || typeof v[1] !== "string") {
    throw new InvalidCursorError(cursor);
  }
  return { createdAt: v[0] as number, id: v[1] };
}

/** "Before everything": the start of the first page. */
const START: CursorPosition = { createdAt: Number.MAX_SAFE_INTEGER, id: "" };

/**
 * Where a page starts walking (exclusive, newest first): the cursor's row, or the start. A
 * `createdBefore` bound folds into it, because `(created_at, id) < (B, "")` holds exactly when
 * `created_at < B` (no id sorts below ""), so the bound costs no extra condition or index.
 *
 * @example
 * pageStart(null, 2000); // { createdAt: 2000, id: "" }
 */
export function pageStart(cursor: string | null | undefined, createdBefore?: number): CursorPosition {
  const at = cursor ? decodeCursor(cursor) : START;
  if (createdBefore === undefined || at.createdAt < createdBefore) return at;
  return { createdAt: createdBefore, id: "" };
}
