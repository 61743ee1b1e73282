// Applications for the HTTP API tests.
import { z } from "zod";
import { application, fn, RequestContext } from "tributary";

const Person = z.object({ name: z.string(), age: z.number().int() });

export const api_person = application(
  { input: Person, output: z.object({ greeting: z.string() }) },
  fn(async function api_person(p: z.infer<typeof Person>) {
    return { greeting: `hello ${p.name}, ${p.age}` };
  }),
);

export const api_echo = application(
  fn(async function api_echo(x?: unknown) {
    const ctx = RequestContext.get();
    for (let i = 1; i <= 3; i++) await ctx.progress.update(i, 3, `step ${i}`);
    return x ?? null;
  }),
);

export const api_big_state = application(
  fn(async function api_big_state(bytes: number) {
    await RequestContext.get().state.set("big", "x".repeat(bytes));
    return "stored";
  }),
);

export const api_slow = application(
  fn(async function api_slow(ms: number) {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  }),
);

/** Prints a line, then fails with an uncaught error (its logs must end with that error). */
export const api_throws = application(
  fn(async function api_throws() {
    console.error("about to fail");
    throw new TypeError("boom from api_throws");
  }),
);
