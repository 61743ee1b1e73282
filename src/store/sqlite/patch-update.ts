/**
 * UPDATEs that set only the columns a patch gives, with parameters bound by position.
 *
 * A patch distinguishes "leave unchanged" (`undefined`) from "set to null" (`null`). One statement
 * for every shape (`col = CASE WHEN @set_col THEN @col ELSE col END`) binds two named parameters
 * per optional column, and better-sqlite3 finds each named parameter by a property lookup on the
 * object: on the hot path that binding cost more than some statements' own work. Here each shape
 * (which optional fields a patch gives: a bitmask) gets its own statement, prepared on first use;
 * the engine makes a handful of shapes.
 */
import type Database from "better-sqlite3";

/** One optional part of a patch `P`: the columns it sets, in order, and their values. */
export interface PatchField<P> {
  columns: readonly string[];
  /** The columns' values, or undefined to leave them as they are. */
  values(patch: P): readonly unknown[] | undefined;
}

/**
 * `UPDATE <table> SET <set columns> = head…, <given fields' columns> = … WHERE <where>`, run with
 * `head` (values of `set`), the given fields' values, then `tail` (the WHERE clause's parameters).
 */
export function preparePatch<P>(
  db: Database.Database,
  table: string,
  set: readonly string[],
  fields: readonly PatchField<P>[],
  where: string,
): (head: readonly unknown[], patch: P, tail: readonly unknown[]) => Database.RunResult {
  const byShape = new Map<number, Database.Statement<unknown[]>>();
  const prepare = (shape: number): Database.Statement<unknown[]> => {
    const columns = [...set];
    fields.forEach((f, i) => {
      if (shape & (1 << i)) columns.push(...f.columns);
    });
    const stmt = db.prepare<unknown[]>(
      `UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE ${where}`,
    );
    byShape.set(shape, stmt);
    return stmt;
  };
  return (head, patch, tail) => {
    const params: unknown[] = [...head];
    let shape = 0;
    for (let i = 0; i < fields.length; i++) {
      const values = fields[i]!.values(patch);
      if (values === undefined) continue;
      shape |= 1 << i;
      for (const v of values) params.push(v);
    }
    for (const v of tail) params.push(v);
    // Spread, not the array: better-sqlite3 reads an array argument's elements one by one through
    // v8::Object::Get (~430 instructions each under callgrind); arguments it reads directly.
    return (byShape.get(shape) ?? prepare(shape)).run(...params);
  };
}

/** A field of one column. */
export function column<P>(name: string, value: (patch: P) => unknown): PatchField<P> {
  return {
    columns: [name],
    values: (p) => {
      const v = value(p);
      return v === undefined ? undefined : [v];
    },
  };
}
