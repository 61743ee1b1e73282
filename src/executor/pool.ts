/**
 * The container pool of one executor: warm containers keyed by (application version, function or
 * class), reused across calls and requests, reaped when idle.
 *
 * Sized to demand (pool-demand.ts): a call that finds no idle container waits in its key's queue,
 * and containers are started only as the queue needs them; a container that frees up goes straight
 * to the oldest waiter of its key.
 *
 * Invariant: a container is in `idle` only while ready and serving nothing; `acquire` (or a
 * hand-over) takes it out, so one container never serves two calls at once. Warm pools: `prewarm`
 * starts containers ahead (`warmContainers`), and the reaper never takes a key below its
 * `minContainers`.
 */
import { ContainerProcess, type ContainerOptions } from "./container-process.js";
import { ewma, startsNeeded } from "./pool-demand.js";

export interface PoolOptions {
  /** Idle time after which a container is stopped. */
  idleMs: number;
}

/** A cold start's guess before the first one of a key is measured. */
const DEFAULT_START_MS = 250;

interface Waiter {
  resolve(c: ContainerProcess): void;
  reject(e: unknown): void;
}

/** What the pool knows and holds per key. */
interface KeyState {
  waiters: Waiter[];
  starting: number;
  runMs: number | null;
  startMs: number;
  /** The latest caller's factory and init timeout (the same for every call of a key). */
  create: () => ContainerOptions;
  initTimeoutMs: number;
  recheck: NodeJS.Timeout | null;
}

export class ContainerPool {
  private readonly idle = new Map<string, ContainerProcess[]>();
  readonly all = new Map<string, ContainerProcess>();
  private readonly keys = new Map<string, KeyState>();
  private reaper: NodeJS.Timeout;
  /** Containers started and reused (for the warm-reuse rate). */
  stats = { started: 0, reused: 0 };
  /** minContainers per pool key: idle containers are never reaped below this. */
  private readonly min = new Map<string, number>();

  constructor(private readonly opts: PoolOptions) {
    this.reaper = setInterval(() => this.reap(), Math.max(250, Math.min(opts.idleMs / 2, 5000)));
    this.reaper.unref();
  }

  /**
   * A container for `poolKey`: a warm one now, else the first to free up or finish starting. Rejects
   * with the init error when a container started for this key fails its init while this call is
   * the oldest waiting.
   */
  acquire(poolKey: string, create: () => ContainerOptions, initTimeoutMs: number): Promise<ContainerProcess> {
    const list = this.idle.get(poolKey);
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (c.state === "ready") {
        this.stats.reused++;
        this.markBusy(c);
        return Promise.resolve(c);
      }
    }
    const k = this.keyState(poolKey, create, initTimeoutMs);
    return new Promise((resolve, reject) => {
      k.waiters.push({ resolve, reject });
      this.balance(poolKey);
    });
  }

  /** A busy container waits on child calls (true) or runs again (false); a blocked one frees up late. */
  setBlocked(c: ContainerProcess, blocked: boolean): void {
    if (c.blocked === blocked) return;
    c.blocked = blocked;
    if (blocked) this.balance(c.poolKey);
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
    this.keyState(poolKey, create, initTimeoutMs);
    for (let n = this.count(poolKey); n < target; n++) this.start(poolKey).prewarmed = true;
  }

  /** Every live container, for stats and tests. */
  list(): { id: string; poolKey: string; state: string }[] {
    return [...this.all.values()]
      .filter((c) => c.state !== "exited")
      .map((c) => ({ id: c.id, poolKey: c.poolKey, state: c.state }));
  }

  /** Returns a container after its call; a dead or killed one is dropped. */
  release(c: ContainerProcess): void {
    const k = this.keys.get(c.poolKey);
    if (k && c.busySince > 0) k.runMs = ewma(k.runMs, Date.now() - c.busySince);
    c.attemptId = null;
    c.blocked = false;
    c.busySince = 0;
    if (c.state === "exited" || c.killReason) {
      this.balance(c.poolKey);
      return;
    }
    this.offer(c);
  }

  /** A ready container goes to the oldest waiter of its key, or to the idle list. */
  private offer(c: ContainerProcess): void {
    const waiter = this.keys.get(c.poolKey)?.waiters.shift();
    if (waiter) {
      this.stats.reused++;
      this.markBusy(c);
      waiter.resolve(c);
      this.balance(c.poolKey);
      return;
    }
    c.state = "ready";
    c.lastUsed = Date.now();
    const list = this.idle.get(c.poolKey) ?? [];
    list.push(c);
    this.idle.set(c.poolKey, list);
  }

  private markBusy(c: ContainerProcess): void {
    c.state = "busy";
    c.busySince = Date.now();
  }

  private keyState(poolKey: string, create: () => ContainerOptions, initTimeoutMs: number): KeyState {
    let k = this.keys.get(poolKey);
    if (!k) {
      k = { waiters: [], starting: 0, runMs: null, startMs: DEFAULT_START_MS, create, initTimeoutMs, recheck: null };
      this.keys.set(poolKey, k);
    }
    k.create = create;
    k.initTimeoutMs = initTimeoutMs;
    return k;
  }

  /** Starts what the waiters of `poolKey` need now, and re-checks soon while any still wait. */
  private balance(poolKey: string): void {
    const k = this.keys.get(poolKey);
    if (!k || k.waiters.length === 0) return;
    const now = Date.now();
    const busy = [...this.all.values()]
      .filter((c) => c.poolKey === poolKey && c.state === "busy" && c.busySince > 0)
      .map((c) => ({ elapsedMs: now - c.busySince, blocked: c.blocked }));
    const n = startsNeeded({
      waiters: k.waiters.length,
      starting: k.starting,
      busy,
      runMs: k.runMs,
      startMs: k.startMs,
    });
    for (let i = 0; i < n; i++) this.start(poolKey);
    if (k.waiters.length > 0 && !k.recheck) {
      k.recheck = setTimeout(
        () => {
          k.recheck = null;
          this.balance(poolKey);
        },
        Math.min(100, Math.max(10, k.startMs / 4)),
      );
    }
  }

  /** Starts one container of `poolKey`; once ready it serves the oldest waiter or idles. */
  private start(poolKey: string): ContainerProcess {
    const k = this.keys.get(poolKey)!;
    const c = new ContainerProcess(k.create());
    this.all.set(c.id, c);
    this.stats.started++;
    k.starting++;
    const t0 = Date.now();
    const stopTimer = initTimer(c, k.initTimeoutMs);
    c.init().then(
      () => {
        stopTimer();
        k.starting--;
        k.startMs = ewma(k.startMs === DEFAULT_START_MS ? null : k.startMs, Date.now() - t0);
        this.offer(c);
      },
      (e: unknown) => {
        stopTimer();
        k.starting--;
        this.all.delete(c.id);
        // The oldest waiter takes the failure (a constructor error is its attempt's error).
        k.waiters.shift()?.reject(e);
        this.balance(poolKey);
      },
    );
    return c;
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
    for (const k of this.keys.values()) if (k.recheck) clearTimeout(k.recheck);
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
