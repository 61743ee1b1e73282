// Seed "Functions": a function calls another; the callee runs in its own container and the caller
// awaits its result.
import { application, fn } from "tributary";

export const other_function = fn(async function other_function(data: string): Promise<number> {
  return data.length;
});

/** @example "hello" */
export const my_function = application(
  fn(async function my_function(data: string): Promise<number> {
    const returned = await other_function(data);
    // returned === data.length
    return returned;
  }),
);
