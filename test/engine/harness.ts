/**
 * A harness for testing the engine alone: a real SQLite store in memory, an in-memory blob store,
 * the fake clock, and fake executors that the test drives message by message through the engine's
 * façade (`connectExecutor`, `executorMessage`). No process, socket or container is involved.
 */
import type { Manifest } from "../../src/core/manifest.js";
import type { FunctionSpec } from "../../src/core/options.js";
import type { FailureReason } from "../../src/core/status.js";
import type { Assignment, ExecutorCapacity, ToExecutor } from "../../src/core/wire/executor.js";
import { createEngine, type Engine, type EngineOptions, type ExecutorLink } from "../../src/engine/index.js";
import { createMemoryBlobStore } from "../../src/store/blobs/memory.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import type { BlobStore, HintChannel, RequestRow, Store } from "../../src/store/types.js";
import { createFakeClock, type FakeClock } from "../../src/testing/fake-clock.js";

/** A function of the test application; every option not given takes the SDK's default. */
export function fnSpec(name: string, over: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    name,
    description: "",
    cpu: 1,
    memory: 1,
    ephemeralDisk: 1,
    gpu: null,
    timeout: 300,
    image: null,
    secrets: [],
    retries: null,
    region: null,
    warmContainers: 0,
    minContainers: 0,
    maxContainers: null,
    ...over,
  };
}

/** A manifest where every function is also an application (so each can be invoked as a root). */
export function manifestOf(fns: FunctionSpec[]): Manifest {
  return {
    functions: fns,
    classes: [],
    applications: fns.map((f) => ({
      name: f.name,
      description: "",
      hasInputSchema: false,
      hasOutputSchema: false,
      spec: { tags: {}, retries: null, region: null, inputDeserializer: "json", outputSerializer: "json" },
    })),
  };
}

const enc = new TextEncoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** An executor driven by the test: it records what the engine sends and answers on command. */
export class FakeExecutor {
  readonly sent: ToExecutor[] = [];
  link: ExecutorLink;
  private rpc = 0;

  constructor(
    private readonly engine: Engine,
    readonly id: string,
    readonly capacity: ExecutorCapacity,
    readonly images: string[] = [],
    /** The most items it takes in one run (0: it knows only `assign`). */
    readonly runItems = 0,
  ) {
    this.link = this.newLink();
  }

  private newLink(): ExecutorLink {
    return { send: (m) => this.sent.push(m), close: () => {} };
  }

  /** Connects (or reconnects on a new link) saying it still runs `running`. */
  hello(running: string[] = []): void {
    this.link = this.newLink();
    this.engine.connectExecutor(this.link, {
      t: "hello",
      executorId: this.id,
      region: "*",
      labels: {},
      capacity: this.capacity,
      images: this.images,
      running,
      ...(this.runItems ? { runItems: this.runItems } : {}),
    });
  }

  disconnect(): void {
    this.engine.disconnectExecutor(this.id, this.link);
  }

  /** Every assignment, alone or in a run, in the order sent. */
  assignments(): Assignment[] {
    return this.sent.flatMap((m) => (m.t === "assign" ? [m.assignment] : m.t === "assign-run" ? m.assignments : []));
  }

  /** The runs sent (`assign-run`), each as its assignments. */
  runs(): Assignment[][] {
    return this.sent.flatMap((m) => (m.t === "assign-run" ? [m.assignments] : []));
  }

  /** The assignment of `functionName` (the last one if it was assigned several times). */
  assignment(functionName: string): Assignment | undefined {
    return this.assignments()
      .filter((a) => a.functionName === functionName)
      .at(-1);
  }

  succeed(attemptId: string, value = '"ok"'): void {
    this.engine.executorMessage(this.id, {
      t: "done",
      attemptId,
      ok: true,
      value: bytes(value),
      contentType: "application/json",
    });
  }

  fail(attemptId: string, reason: FailureReason = "function_error", message = "boom", name = "Error"): void {
    this.engine.executorMessage(this.id, {
      t: "done",
      attemptId,
      ok: false,
      reason,
      error: { name, message, retryable: true },
    });
  }

  /** The attempt calls `functionName` at `seq`; returns the rpc number to find its reply. */
  call(attemptId: string, seq: number, functionName: string, args = "[]"): number {
    const rpc = ++this.rpc;
    this.engine.executorMessage(this.id, { t: "call", attemptId, rpc, seq, functionName, args: bytes(args) });
    return rpc;
  }

  reply(attemptId: string, rpc: number): Extract<ToExecutor, { t: "reply" }> | undefined {
    return this.sent.find(
      (m): m is Extract<ToExecutor, { t: "reply" }> => m.t === "reply" && m.attemptId === attemptId && m.rpc === rpc,
    );
  }
}

export interface Harness {
  engine: Engine;
  clock: FakeClock;
  store: Store;
  /** Keys of the blobs stored now (written and not deleted). */
  blobKeys: Set<string>;
  executor(id: string, capacity?: Partial<ExecutorCapacity>, images?: string[], runItems?: number): FakeExecutor;
  invoke(application: string, input?: string, idempotencyKey?: string | null): Promise<string>;
  request(id: string): Promise<RequestRow>;
  /** Lets the engine's pending store writes and scheduling passes run (no time passes). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * With `cluster`, the engine is one server of a cluster (DESIGN.md §3) on the SQLite store, which
 * has the servers' leases too; its hints go through a channel in memory, heard by this server alone.
 */
export async function createHarness(
  fns: FunctionSpec[],
  options: EngineOptions = {},
  cluster?: { serverId: string; leaseMs: number },
): Promise<Harness> {
  const clock = createFakeClock(1_000_000);
  const store = createSqliteStore(":memory:");
  await store.migrate();
  if (cluster) Object.assign(store, { hints: memoryHints() });
  const memory = createMemoryBlobStore();
  const blobKeys = new Set<string>();
  const blobs: BlobStore = {
    ...memory,
    put: async (key, b) => {
      await memory.put(key, b);
      blobKeys.add(key);
    },
    delete: async (key) => {
      await memory.delete(key);
      blobKeys.delete(key);
    },
  };
  const engine = createEngine({
    store,
    blobs,
    clock,
    options: { unsatisfiableGraceMs: 0, ...options },
    ...(cluster ? { cluster } : {}),
  });
  await engine.deploy("default", manifestOf(fns), bytes("bundle"));
  await engine.recover();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
  return {
    engine,
    clock,
    store,
    blobKeys,
    executor(id, capacity = {}, images = [], runItems = 0) {
      const ex = new FakeExecutor(
        engine,
        id,
        { cpu: 4, memory: 4, disk: 100, gpus: {}, ...capacity },
        images,
        runItems,
      );
      ex.hello();
      return ex;
    },
    async invoke(application, input = "", idempotencyKey = null) {
      const { requestId } = await engine.invoke(
        "default",
        application,
        { bytes: bytes(input), contentType: input ? "application/json" : null },
        idempotencyKey,
      );
      await settle();
      return requestId;
    },
    async request(id) {
      const r = await store.getRequest(id);
      if (!r) throw new Error(`no request ${id}`);
      return r;
    },
    settle,
    async close() {
      await engine.stop();
      await store.close();
    },
  };
}

/** A hint channel in one process: what is published is heard by every listener, asynchronously. */
function memoryHints(): HintChannel {
  const listeners = new Set<(payload: string) => void>();
  return {
    publish: async (payload) => {
      for (const l of listeners) queueMicrotask(() => l(payload));
    },
    listen: async (onHint) => {
      listeners.add(onHint);
      return async () => void listeners.delete(onHint);
    },
  };
}
