// Applications without input schemas, for the typed-input tests: deploy derives their schemas from
// the handlers' parameter and return types.
import { z } from "zod";
import { application, fn, type File } from "tributary";

export const typed_greet = application(
  fn(async function typed_greet(name: string): Promise<string> {
    return `hello ${name}`;
  }),
);

export interface Order {
  id: number;
  items: { sku: string; qty: number }[];
  note?: string;
}

export const typed_order = application(
  fn(async function typed_order(o: Order): Promise<{ total: number }> {
    return { total: o.items.reduce((n, i) => n + i.qty, 0) };
  }),
);

export const typed_optional = application(
  fn(async function typed_optional(n?: number) {
    return n ?? -1;
  }),
);

export const typed_file = application(
  fn(async function typed_file(doc: File): Promise<number> {
    return doc.bytes.byteLength;
  }),
);

export const typed_date = application(
  fn(async function typed_date(when: Date) {
    return typeof when;
  }),
);

/** The explicit schema (a number) wins over the handler's (looser) parameter type. */
export const typed_explicit = application(
  { input: z.number() },
  fn(async function typed_explicit(x: unknown) {
    return x;
  }),
);
