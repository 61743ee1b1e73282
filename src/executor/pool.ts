/**
 * The container pool of one executor: warm containers keyed by (application version, function or
 * class), reused across calls and requests, reaped when idle.
 *
 * Invariant: a container is in `idle` only while ready and serving nothing; `acquire` takes it out,
 * so one container never serves two calls at once. Warm pools: `prewarm` starts containers ahead
 * (`warmContainers`), and the reaper never takes a key below its `minContainers`.
 */
import { ContainerProcess, type ContainerOptions } from "./container-process.js";

export interface PoolOptions {
  /** Idle time after which a container is stopped. */
  idleMs: number;
}

export class ContainerPool {
  private readonly idle = new Map<string, ContainerProcess[]>();
  readonly all = new Map<string, ContainerProcess>();
  private reaper: NodeJS.Timeout;
  /** Containers started and reused (for the warm-reuse rate). */
  stats = { started: 0, reused: 0 };
  /** minContainers per pool key: idle containers are never reaped below this. */
  private readonly min = new Map<string, number>();

  constructor(private readonly opts: PoolOptions) {
    this.reaper = setInterval(() => this.reap(), Math.max(250, Math.min(opts.idleMs / 2, 5000)));
    this.reaper.unref();
  }

  /** A ready container for `poolKey`: a warm one, or a new one once its init finished. */
  async acquire(poolKey: string, create: () => ContainerOptions, initTimeoutMs: number): Promise<ContainerProcess> {
    const list = this.idle.get(poolKey);
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (c.state === "ready") {
        this.stats.reused++;
        c.state = "busy";
        return c;
      }
    }
    const c = new ContainerProcess(create());
    this.all.set(c.id, c);
    this.stats.started++;
    const stopTimer = initTimer(c, initTimeoutMs);
    try {
      await c.init();
    } catch (e) {
      this.all.delete(c.id);
      throw e;
    } finally {
      stopTimer();
    }
    c.state = "busy";
    return c;
  }

  /** Live containers (starting, ready or busy) of `poolKey`. */
  count(poolKey: string): number {
    let n = 0;
    for (const c of this.all.values()) if (c.poolKey === poolKey && c.state !== "exited") n++;
    return n;
  }

  /**
   * Warm pool of `poolKey`: records its minimum and starts containers until `target` are live.
   * Started in the background; a container that fails init is simply dropped.
   */
  prewarm(poolKey: string, target: number, min: number, create: () => ContainerOptions, initTimeoutMs: number): void {
    if (min > 0) this.min.set(poolKey, min);
    for (let n = this.count(poolKey); n < target; n++) {
      const c = new ContainerProcess(create());
      this.all.set(c.id, c);
      this.stats.started++;
      const stopTimer = initTimer(c, initTimeoutMs);
      c.init().then(
        () => {
          stopTimer();
          c.state = "busy"; // release() checks liveness and files it as idle
          this.release(c);
        },
        () => {
          stopTimer();
          this.all.delete(c.id);
        },
      );
    }
  }

  /** Every live container, for stats and tests. */
  list(): { id: string; poolKey: string; state: string }[] {
    return [...this.all.values()]
      .filter((c) => c.state !== "exited")
      .map((c) => ({ id: c.id, poolKey: c.poolKey, state: c.state }));
  }

  /** Returns a container after its call; a dead or killed one is dropped. */
  release(c: ContainerProcess): void {
    c.attemptId = null;
    if (c.state === "exited" || c.killReason) return;
    c.state = "ready";
    c.lastUsed = Date.now();
    const list = this.idle.get(c.poolKey) ?? [];
    list.push(c);
    this.idle.set(c.poolKey, list);
  }

  forget(c: ContainerProcess): void {
    this.all.delete(c.id);
    const list = this.idle.get(c.poolKey);
    if (list)
      this.idle.set(
        c.poolKey,
        list.filter((x) => x !== c),
      );
  }

  private reap(): void {
    const now = Date.now();
    for (const [key, list] of this.idle) {
      const keep: ContainerProcess[] = [];
      let live = this.count(key);
      const min = this.min.get(key) ?? 0;
      for (const c of list) {
        if (c.state === "ready" && now - c.lastUsed > this.opts.idleMs && live > min) {
          c.kill("reaped");
          live--;
        } else if (c.state !== "exited") keep.push(c);
      }
      this.idle.set(key, keep);
    }
  }

  /** Stops every container. */
  async shutdown(): Promise<void> {
    clearInterval(this.reaper);
    const waits = [...this.all.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.state === "exited") return resolve();
          c.child.once("exit", () => resolve());
          c.kill("reaped");
        }),
    );
    await Promise.all(waits);
  }
}

/** A container that never boots (a wedged sandbox set-up) is given up after this, whatever its init timeout. */
export const BOOT_LIMIT_MS = 60_000;

/**
 * Arms `c`'s init timeout: it covers loading the bundle and constructing the class, and starts when
 * the container has booted (DESIGN §2: the clock starts when the function starts; a cold start on
 * a loaded machine is not the function's time). Expiry kills this container only; its exit turns
 * into a TimeoutError rejection of `init`. Returns the disarm function.
 */
function initTimer(c: ContainerProcess, initTimeoutMs: number): () => void {
  let timer = setTimeout(() => c.kill("timeout"), BOOT_LIMIT_MS + initTimeoutMs);
  c.onBooted = () => {
    clearTimeout(timer);
    timer = setTimeout(() => c.kill("timeout"), initTimeoutMs);
  };
  return () => {
    c.onBooted = null;
    clearTimeout(timer);
  };
}
