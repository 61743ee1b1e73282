// Seed "Configuring Applications": tags, retries, region and the input/output serializers.
// "structured" is the TypeScript analogue of the seed's pickle (Map, Set, Date, BigInt, cycles…).
import { application, fn, Retries } from "tributary";

/** @example "Ada" */
export const hello_configured = application(
  {
    tags: { language: "typescript" },
    retries: new Retries({ maxRetries: 3 }),
    region: "us-east-1",
    inputDeserializer: "structured",
    outputSerializer: "structured",
  },
  fn(async function hello_configured(input: string) {
    console.log(`Hello, world! ${input}`);
    return new Map([["greeted", input]]);
  }),
);
