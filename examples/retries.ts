// Seed "Retries": a function that raises is retried by its policy (no retries by default).
import { application, fn, Retries } from "tributary";

/** Retried once, then the request fails with its message. */
export const always_raises = application(
  fn({ retries: new Retries({ maxRetries: 1, initialDelay: 0.01 }) }, async function always_raises(): Promise<number> {
    throw new Error("Something went wrong");
  }),
);

/** The application's policy applies to every function that sets none of its own. */
export const app_policy = application(
  { retries: new Retries({ maxRetries: 3, initialDelay: 0.01 }) },
  fn(async function app_policy(): Promise<string> {
    return await sometimes_fails();
  }),
);

let calls = 0;
/** Fails on its first two attempts (in this process), then succeeds. */
const sometimes_fails = fn(async function sometimes_fails(): Promise<string> {
  calls++;
  if (calls % 3 !== 0) throw new Error(`transient failure ${calls}`);
  return `succeeded on attempt ${calls}`;
});
