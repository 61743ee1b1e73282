// Seed "Configuring functions": every function option set to a custom value.
import { application, fn, Image, Retries } from "tributary";

export const string_length = fn(
  {
    // Ubuntu instead of the default base image.
    image: new Image({ name: "ubuntu", baseImage: "ubuntu:24.04" }),
    // my_secret is available as an environment variable.
    secrets: ["my_secret"],
    description: "Measures the string using its length",
    // Retry twice if it fails.
    retries: new Retries({ maxRetries: 2 }),
    // Fails after 30 s without progress.
    timeout: 30,
    cpu: 2,
    memory: 4,
    ephemeralDisk: 2,
    gpu: "H100",
    region: "us-east-1",
  },
  async function string_length(s: string): Promise<number> {
    return s.length;
  },
);

/** An entry point that measures strings with `string_length` (the GPU function runs on its own). */
export const measure_strings = application(
  fn(async function measure_strings(words: string[]): Promise<number[]> {
    return await string_length.map(words);
  }),
);
