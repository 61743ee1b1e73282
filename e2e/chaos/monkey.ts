/**
 * The chaos monkey: at seeded random intervals, SIGKILLs a container (a pid the functions
 * recorded), an executor (its whole process group: a machine crash) or the server, and restarts
 * what it killed on the same data directory and port.
 *
 * Determinism: every round draws the same five numbers whatever happens, so the schedule (gaps,
 * kinds, executor slots, restart delays) is a pure function of the seed. Which container a
 * container kill hits depends on what is running at that moment, so it is chosen by a drawn
 * fraction over the live candidates in the order they were recorded.
 */
import { join } from "node:path";
import { lines, type Deployment, type Proc } from "../harness/processes.js";
import { alive, childrenOf } from "../harness/procfs.js";
import type { Rng } from "./rng.js";
import { Outbox } from "../../src/executor/outbox.js";

export type KillKind = "container" | "executor" | "server";

export interface Kill {
  kind: KillKind;
  at: number;
  /** Every pid that died with it (an executor's containers die with it). */
  pids: number[];
  /**
   * An executor kill: the attempts whose results its outbox held right after it died (what a
   * restart on the same data will deliver), read before the restart.
   */
  outbox?: string[];
  /** Likewise, the attempts whose results it kept and had seen acknowledged (since its last start). */
  acked?: string[];
  note: string;
}

export interface MonkeyOptions {
  d: Deployment;
  executors: Proc[];
  restartExecutor(slot: number): Promise<Proc>;
  /** The data directory of the executor in `slot`. */
  executorData(slot: number): string;
  workDir: string;
  rng: Rng;
  minGapMs: number;
  maxGapMs: number;
  shouldStop(): boolean;
  log(line: string): void;
}

const KINDS: readonly KillKind[] = ["container", "container", "executor", "server"]; // weights 2:1:1
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs until `shouldStop()`; returns every kill made (and container rounds that found no target). */
export async function runMonkey(o: MonkeyOptions): Promise<{ kills: Kill[]; idleRounds: number }> {
  const kills: Kill[] = [];
  const t0 = Date.now();
  let idleRounds = 0;
  // The first three rounds cover every kind, in a seeded order, so even a short run exercises all.
  const opening = shuffle(["container", "executor", "server"] as KillKind[], o.rng);
  for (let round = 0; ; round++) {
    const gap = o.rng.int(o.minGapMs, o.maxGapMs);
    const kindDraw = o.rng.next();
    const target = o.rng.next();
    const slot = o.rng.int(0, o.executors.length - 1);
    const restartDelay = o.rng.int(100, 1500);
    for (const end = Date.now() + gap; Date.now() < end; await sleep(50))
      if (o.shouldStop()) return { kills, idleRounds };
    if (o.shouldStop()) return { kills, idleRounds };
    const kind = opening[round] ?? KINDS[Math.floor(kindDraw * KINDS.length)]!;

    if (kind === "container") {
      const infra = new Set([o.d.server?.child.pid, ...o.executors.map((e) => e.child.pid)]);
      const seen = new Set<number>();
      const candidates: number[] = [];
      for (const l of lines(join(o.workDir, "pids")).slice(-40)) {
        const pid = Number(l.split(" ")[0]);
        if (!seen.has(pid) && !infra.has(pid) && alive(pid)) candidates.push(pid);
        seen.add(pid);
      }
      const pid = candidates[Math.floor(target * candidates.length)];
      if (pid === undefined) {
        idleRounds++;
        continue;
      }
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        idleRounds++;
        continue;
      }
      kills.push({ kind, at: Date.now(), pids: [pid], note: `container ${pid}` });
    } else if (kind === "executor") {
      const ex = o.executors[slot]!;
      const pids = [ex.child.pid!, ...childrenOf(ex.child.pid!)];
      kills.push({
        kind,
        at: Date.now(),
        pids,
        note: `executor slot ${slot} (pid ${ex.child.pid}, ${pids.length - 1} containers), restart after ${restartDelay} ms`,
      });
      await ex.kill9(true);
      const { logged, files, acked } = Outbox.read(join(o.executorData(slot), "outbox"));
      kills[kills.length - 1]!.outbox = [...logged, ...files].map((m) => m.attemptId);
      kills[kills.length - 1]!.acked = acked;
      await sleep(restartDelay);
      o.executors[slot] = await o.restartExecutor(slot);
    } else {
      const pid = o.d.server!.child.pid!;
      kills.push({ kind, at: Date.now(), pids: [pid], note: `server pid ${pid}, restart after ${restartDelay} ms` });
      await o.d.server!.kill9(true);
      await sleep(restartDelay);
      await o.d.startServer();
    }
    const last = kills[kills.length - 1]!;
    o.log(`  kill #${kills.length} at +${((last.at - t0) / 1000).toFixed(1)} s: ${last.note}`);
  }
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
