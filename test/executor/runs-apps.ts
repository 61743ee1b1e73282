// Functions for the executor's run tests (runs.test.ts): each item writes "start PID I" and
// "end PID I" lines to a file, so a test sees which container ran what, and when.
import { appendFileSync } from "node:fs";
import { application, fn } from "tributary";

type Item = { file: string; i: number; ms?: number; call?: boolean; spin?: number };

const rx_other = fn(async function rx_other() {
  return 1;
});

export const rx_item = application(
  fn(async function rx_item(o: Item) {
    appendFileSync(o.file, `start ${process.pid} ${o.i}\n`);
    if (o.ms) await new Promise((r) => setTimeout(r, o.ms));
    // Synchronous work: nothing else in this container runs until it ends.
    for (const end = Date.now() + (o.spin ?? 0); Date.now() < end;);
    if (o.call) await rx_other();
    appendFileSync(o.file, `end ${process.pid} ${o.i}\n`);
    return o.i;
  }),
);
