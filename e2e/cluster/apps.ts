// Applications for the cluster suite (process backend: they write host files the test reads).
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { application, fn } from "tributary";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The length of a (large) text input: proves the input crossed servers through the database. */
export const cluster_size = application(
  fn(async function cluster_size(input: { text: string }) {
    return input.text.length;
  }),
);

/** maxContainers 1: each run appends its [start, end] interval; no two may overlap, whichever server. */
export const cluster_limited = application(
  fn({ maxContainers: 1 }, async function cluster_limited(input: { dir: string }) {
    const start = Date.now();
    await sleep(400);
    appendFileSync(join(input.dir, "limited.txt"), `${start} ${Date.now()}\n`);
    return process.pid;
  }),
);

/** Runs only on an executor serving eu-west-1 (`--region eu-west-1`); counts its runs. */
export const cluster_eu = application(
  fn({ region: "eu-west-1" }, async function cluster_eu(input: { dir: string }) {
    appendFileSync(join(input.dir, "eu.txt"), `${process.pid}\n`);
    return "ran in eu-west-1";
  }),
);

/** A cron target: each run appends a line (the cron suite counts runs per tick). */
export const cluster_tick = application(
  fn(async function cluster_tick(input: { dir: string }) {
    appendFileSync(join(input.dir, "ticks.txt"), `${Date.now()}\n`);
    return "tick";
  }),
);
