/**
 * A separate entry for the cold-start workload: redeploying it creates a new version of this one
 * application only (a new version never reuses a warm container), leaving the others warm.
 */
import { application, fn } from "tributary";

export const cold_start = application(
  fn(async function cold_start(): Promise<string> {
    return "ok";
  }),
);
