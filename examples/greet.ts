// Seed "Application input and output": a JSON string in, a JSON string out.
//   input  "Hello, world!"  →  output "Hello, world! from greet!"
import { application, fn } from "tributary";

/** @example "Hello, world!" */
export const greet = application(
  fn(async function greet(data: string): Promise<string> {
    return data + " from greet!";
  }),
);
