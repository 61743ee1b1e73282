/**
 * Failing applications for the stack test: the user's frames (`parseOrder`, `stk_child`) must reach
 * every client; Tributary's frames and the server's paths must not.
 */
import { application, fn } from "tributary";

function parseOrder(raw: string): never {
  throw new Error(`cannot parse order '${raw}'`);
}

/** Fails in a helper of the user's, one frame below the handler. */
export const stk_fail = application(
  fn(async function stk_fail() {
    return parseOrder("#1");
  }),
);

const stk_child = fn(async function stk_child(raw: string) {
  return parseOrder(raw);
});

/** Its child fails; uncaught, the parent fails with a FunctionError carrying the child's stack. */
export const stk_parent = application(
  fn(async function stk_parent() {
    return await stk_child("#2");
  }),
);
