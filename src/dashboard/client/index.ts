/**
 * The dashboard script served at /ui/app.js: the browser parts joined into one module, preceded by
 * the vocabulary taken from src/core so the UI's status words and event names are the API's own.
 */
import { FINISHED_EVENT } from "../../core/api.js";
import { STATUSES, type EventKind } from "../../core/status.js";
import { TREE_JS } from "./call-tree.js";
import { DOM_JS } from "./dom.js";
import { LIVE_JS } from "./live.js";
import { ROUTER_JS } from "./router.js";
import { REQUEST_JS } from "./view-request.js";
import { APPS_JS } from "./views-apps.js";

// Stream events other than the final one; every one but `progress` makes the page re-read the request.
const EVENT_KINDS: EventKind[] = [
  "request:started",
  "call:created",
  "attempt:started",
  "progress",
  "attempt:failed",
  "attempt:succeeded",
  "call:finished",
];

export const DASHBOARD_SCRIPT = [
  "// Tributary dashboard (served by the server; no build step, no external code).",
  `const STATUSES = ${JSON.stringify(STATUSES)};`,
  `const FINISHED_EVENT = ${JSON.stringify(FINISHED_EVENT)};`,
  `const EVENT_KINDS = ${JSON.stringify(EVENT_KINDS)};`,
  DOM_JS,
  APPS_JS,
  TREE_JS,
  LIVE_JS,
  REQUEST_JS,
  ROUTER_JS,
].join("\n");
