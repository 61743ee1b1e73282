/**
 * What the executor is sent to run an attempt (`Assignment`, wire/executor.ts): the call's
 * arguments (a root's by reference: the executor fetches them itself), its environment (secrets
 * and the image's `env` steps), its target and its limits.
 *
 * Invariant: the function's timeout bounds the function only. A plain function's container start
 * gets at least `CONTAINER_START_MS`; a class's constructor has its own init timeout.
 */
import type { Assignment } from "../core/wire/executor.js";
import type { LiveAttempt } from "./model.js";
import { Payloads } from "./payloads.js";
import type { EngineResources } from "./resources.js";

/**
 * How long a container may take to start a plain function (process, sandbox, bundle load). The
 * function's clock starts when the function does, so a 1 s timeout must not bound a cold start on a
 * busy machine. A class's constructor keeps its own init timeout (the function's by default).
 */
const CONTAINER_START_MS = 60_000;

/** What the executor needs to run `a` (its arguments, environment and limits). */
export async function assignmentOf(e: EngineResources, a: LiveAttempt): Promise<Assignment> {
  const c = a.call;
  const isRoot = c.parentCallId === null;
  const argsRef = isRoot ? Payloads.reference(c.args) : null;
  const args = argsRef ? new Uint8Array(0) : await e.payloads.read(c.args);
  const env =
    c.spec.secrets.length && e.options.resolveSecrets
      ? await e.options.resolveSecrets(c.req.namespace, c.spec.secrets)
      : {};
  for (const step of c.spec.image?.steps ?? []) if (step.op === "env") env[step.key] = step.value;
  env.TRIBUTARY_MAX_STATE_BYTES = String(e.options.maxStateBytes); // the SDK's state.set limit
  return {
    attemptId: a.id,
    attemptNumber: a.number,
    callId: c.id,
    requestId: c.req.id,
    namespace: c.req.namespace,
    application: c.req.application,
    version: c.req.app.version,
    bundleKey: c.req.app.bundleKey,
    functionName: c.functionName,
    target: a.target,
    spec: c.spec,
    root: isRoot
      ? {
          contentType: c.req.inputContentType,
          inputDeserializer: c.req.app.appSpec.inputDeserializer,
          outputSerializer: c.req.app.appSpec.outputSerializer,
        }
      : null,
    args,
    ...(argsRef ? { argsRef } : {}),
    timeoutMs: c.spec.timeout * 1000,
    initTimeoutMs:
      a.target.kind === "class"
        ? (c.spec.initTimeout ?? c.spec.timeout) * 1000
        : Math.max(c.spec.timeout * 1000, CONTAINER_START_MS),
    env,
    gpus: a.res.gpus,
    headers: c.req.headers,
  };
}
