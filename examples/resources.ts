// Seed "CPU", "Memory", "Ephemeral disk": resources a function's container gets.
import { tmpdir } from "node:os";
import { application, fn } from "tributary";

/** 4 CPUs for data processing. */
export const process_large_data = fn({ cpu: 4 }, async function process_large_data(data: number[]): Promise<{
  sum: number;
}> {
  return { sum: data.reduce((a, b) => a + b, 0) };
});

/** 8 GB of memory for a large model. */
export const run_model = fn({ memory: 8 }, async function run_model(data: string): Promise<string> {
  return data.split("").reverse().join("");
});

/** 20 GB of ephemeral disk; temporary files go to the function's own tmp directory. */
export const process_video = fn({ ephemeralDisk: 20 }, async function process_video(url: string): Promise<string> {
  return `${tmpdir()} would hold ${url}`;
});

export const resource_demo = application(
  fn(async function resource_demo(): Promise<{ sum: number; model: string }> {
    const [data, model] = await Promise.all([process_large_data([1, 2, 3]), run_model("abc")]);
    await process_video("https://example.com/v.mp4");
    return { sum: data.sum, model };
  }),
);
