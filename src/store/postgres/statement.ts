/**
 * Statements composed from pieces (`q\`…\``), sent as ONE prepared statement with its parameters.
 *
 * Why not postgres.js's own fragments (`tx\`…\`` inside `tx\`…\``)? Each of its fragments is a
 * `Query`, a Promise subclass with its own state, and each `tx(record)` helper searches the whole
 * text before it with a set of regular expressions to learn where it stands; the hot path's three
 * statements built about 30 such objects per request, all garbage once sent. A `Piece` is two
 * arrays; `run` joins the pieces into the text (`$n` for each value, in order) and hands it to
 * `tx.unsafe` as a prepared statement: postgres.js still prepares each distinct text once per
 * connection and afterwards sends only a Bind (its parameters) and an Execute.
 *
 * Invariant: a value becomes a parameter unless it is a `Piece` (spliced in as SQL); so only code
 * (never input) writes SQL text, as with tagged templates.
 */
import type { Tx } from "./connect.js";

/** A value bound as a parameter (postgres.js infers its type as it does for tagged templates). */
export type Param = string | number | boolean | Uint8Array | null;

/** A piece of SQL: literal text between values, each value a parameter or another piece. */
export class Piece {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly (Param | Piece)[],
  ) {}
}

/** Composes SQL as `tx\`…\`` does, without sending it. */
export function q(strings: TemplateStringsArray, ...values: (Param | Piece)[]): Piece {
  return new Piece(strings, values);
}

/** SQL text given as a string (a column list, a constant clause). Never pass input here. */
export function raw(text: string): Piece {
  return new Piece([text], []);
}

/** `col = $n, …` of an UPDATE's SET (column names are code's, never input). */
export function setList(columns: Record<string, Param>): Piece {
  const keys = Object.keys(columns);
  const strings: string[] = [`${keys[0]} = `];
  for (let i = 1; i < keys.length; i++) strings.push(`, ${keys[i]} = `);
  strings.push("");
  return new Piece(
    strings,
    keys.map((k) => columns[k]!),
  );
}

function flatten(p: Piece, params: Param[]): string {
  let text = p.strings[0]!;
  for (let i = 0; i < p.values.length; i++) {
    const v = p.values[i]!;
    text += v instanceof Piece ? flatten(v, params) : `$${params.push(v)}`;
    text += p.strings[i + 1]!;
  }
  return text;
}

/** Runs `stmt` on `tx` as one prepared statement; its rows. */
export function run<T extends object = Record<string, unknown>>(tx: Tx, stmt: Piece): Promise<T[] & { count: number }> {
  const params: Param[] = [];
  const text = flatten(stmt, params);
  return tx.unsafe(text, params as never[], { prepare: true }) as unknown as Promise<T[] & { count: number }>;
}
