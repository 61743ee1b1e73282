/**
 * Builders shared by the contract suite: unique ids, payloads, requests, calls, events and a
 * `storeTest` wrapper that gives each test a fresh store, bounds its time and always closes it.
 */
import { test } from "node:test";
import type { Manifest } from "../../core/manifest.js";
import type { EventKind } from "../../core/status.js";
import type { CallRow, NewAttempt, NewCall, NewEvent, NewRequest, Payload, RequestRow, Store } from "../types.js";

let counter = 0;
/** Unique per process and per call, sortable within a prefix. */
export const uid = (prefix: string) => `${prefix}_${process.pid}_${String(++counter).padStart(6, "0")}`;

export const MANIFEST: Manifest = { functions: [], applications: [], classes: [] };

/** Every byte value, so encodings that mangle binary (UTF-8, NUL) are caught. */
export const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

export function inline(bytes: Uint8Array | string, contentType = "application/json"): Payload {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return { contentType, size: b.byteLength, inline: b, blobKey: null };
}

export function blob(key: string, size: number, contentType = "application/octet-stream"): Payload {
  return { contentType, size, inline: null, blobKey: key };
}

export function ev(kind: EventKind, extra: Partial<NewEvent> = {}): NewEvent {
  return { kind, at: 1_000, ...extra };
}

export interface RequestSpec {
  namespace?: string;
  application?: string;
  idempotencyKey?: string | null;
  inputHash?: string | null;
  createdAt?: number;
  input?: Payload | null;
}

export function newRequest(spec: RequestSpec = {}): { request: NewRequest; root: NewCall } {
  const id = uid("req");
  const rootCallId = `${id}.root`;
  const createdAt = spec.createdAt ?? 1_000;
  const request: NewRequest = {
    id,
    namespace: spec.namespace ?? "default",
    application: spec.application ?? "app",
    version: 1,
    input: spec.input === undefined ? inline('{"x":1}') : spec.input,
    idempotencyKey: spec.idempotencyKey ?? null,
    inputHash: spec.inputHash ?? null,
    rootCallId,
    createdAt,
  };
  return { request, root: newCall(id, null, 0, 0, "app", { id: rootCallId, createdAt }) };
}

export function newCall(
  requestId: string,
  parentCallId: string | null,
  seq: number,
  item: number,
  functionName: string,
  over: Partial<NewCall> = {},
): NewCall {
  return {
    id: over.id ?? uid("call"),
    requestId,
    parentCallId,
    seq,
    item,
    functionName,
    args: inline("[]", "application/x-structured"),
    notBefore: 0,
    createdAt: 1_000,
    ...over,
  };
}

/** The row a store reads back for `call` just created: pending, never attempted. */
export function pendingCallRow(call: NewCall): CallRow {
  return {
    ...call,
    status: "pending",
    attemptsUsed: 0,
    infraRetries: 0,
    result: null,
    error: null,
    failureReason: null,
    pendingReason: null,
    finishedAt: null,
  };
}

export function newAttempt(
  call: { id: string; requestId: string },
  number = 1,
  executorId: string | null = "exec-1",
): NewAttempt {
  return {
    id: uid("att"),
    callId: call.id,
    requestId: call.requestId,
    number,
    executorId,
    containerId: null,
    startedAt: 2_000,
  };
}

/** Creates a request with its root call (no events). */
export async function seedRequest(
  store: Store,
  spec: RequestSpec = {},
): Promise<{ request: RequestRow; root: NewCall }> {
  const { request, root } = newRequest(spec);
  const res = await store.createRequest(request, root, []);
  return { request: res.request, root };
}

/** Creates a request and starts its root call; returns the attempt. */
export async function seedRunning(
  store: Store,
  spec: RequestSpec = {},
): Promise<{ request: RequestRow; root: NewCall; attempt: NewAttempt }> {
  const { request, root } = await seedRequest(store, spec);
  const attempt = newAttempt(root);
  const started = await store.startAttempt(attempt, { attemptsUsed: 1, infraRetries: 0 }, []);
  if (started === null) throw new Error("seedRunning: startAttempt lost its race");
  return { request, root, attempt };
}

export type MakeStore = () => Promise<Store>;

/** Registers one contract test on a fresh store, closed afterwards whatever happens. */
export function storeTest(makeStore: MakeStore, name: string, body: (store: Store) => Promise<void>): void {
  test(name, { timeout: 15_000 }, async () => {
    const store = await makeStore();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  });
}
