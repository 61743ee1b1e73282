/**
 * Applications of the usage end-to-end test: functions that burn a known amount of CPU, in their
 * own process, in a child process, and across a call tree. Imports only "tributary" and built-ins.
 */
import { spawnSync } from "node:child_process";
import { application, fn } from "tributary";

/** Spins until this process has used `seconds` of CPU (user + system), whatever the machine's load. */
function burnCpu(seconds: number): number {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 100_000; i++) x += Math.sqrt(i);
    const d = process.cpuUsage(start);
    if (d.user + d.system >= seconds * 1e6) return x;
  }
}

const SPIN = `const s=process.cpuUsage();let x=0;for(;;){for(let i=0;i<1e5;i++)x+=Math.sqrt(i);const d=process.cpuUsage(s);if(d.user+d.system>=SECONDS*1e6)break}`;

/** Burns about one CPU second in the function's own process. */
export const burn = application(
  fn({ name: "burn", memory: 2, timeout: 120 }, async (): Promise<string> => {
    burnCpu(1);
    return "burnt";
  }),
);

/** Burns about 0.8 CPU seconds in a child process: only a measure of the container's process tree sees it. */
export const burnInChild = application(
  fn({ name: "burnInChild", timeout: 120 }, async (): Promise<number> => {
    const r = spawnSync(process.execPath, ["-e", SPIN.replace("SECONDS", "0.8")], { stdio: "ignore" });
    return r.status ?? -1;
  }),
);

const burnChild = fn({ name: "burnChild", timeout: 120 }, async (seconds: number): Promise<number> => {
  burnCpu(seconds);
  return seconds;
});

/** A parent that burns nothing and fans out to two children of 0.4 CPU seconds each. */
export const burnTree = application(
  fn({ name: "burnTree", timeout: 120 }, async (): Promise<number> => {
    const done = await Promise.all([burnChild(0.4), burnChild(0.4)]);
    return done.reduce((a, b) => a + b, 0);
  }),
);

/** Burns CPU until its 2 s timeout kills its container. */
export const burnForever = application(
  fn({ name: "burnForever", timeout: 2 }, async (): Promise<number> => burnCpu(1e9)),
);
