/**
 * Store writes that fail as with the database away (docs/operations.md "When something goes away"),
 * for the store-away tests: the chosen write rejects once, then the store works again.
 */
import type { Store } from "../../src/store/types.js";
import type { Harness } from "./harness.js";

type Args<K extends keyof Store> = Store[K] extends (...args: infer P) => unknown ? P : never;

/**
 * The next call of `method` for which `when` holds (every call by default) rejects as with the
 * database away; the ones after it go through. Returns how many calls were failed so far.
 */
export function failOnce<K extends keyof Store>(
  h: Harness,
  method: K,
  when: (...args: Args<K>) => boolean = () => true,
): () => number {
  const store = h.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const real = store[method]!.bind(h.store);
  let failures = 0;
  store[method] = (...args: unknown[]) => {
    if (failures === 0 && when(...(args as Args<K>))) {
      failures++;
      return Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }));
    }
    return real(...args);
  };
  return () => failures;
}
