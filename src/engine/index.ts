/**
 * The engine's public surface: the façade the server uses, its domain errors and their types.
 * Everything else in this folder is private to the engine.
 */
export { createEngine } from "./engine.js";
export type { DeployedApplication, Engine, EngineMetrics, FinalOutcome } from "./engine.js";
export { EngineError } from "./errors.js";
export type { EngineErrorCode } from "./errors.js";
export type { EngineDeps, EngineOptions } from "./resources.js";
export type { FinishedRequest, InvokeInput } from "./requests.js";
export type { ExecutorLink } from "./model.js";
export type { MetricSeries } from "./metric-totals.js";
export type { UsageSeries } from "./usage-totals.js";
