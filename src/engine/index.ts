export { Engine, EngineError } from "./engine.js";
export type { EngineDeps, EngineOptions } from "./engine.js";
export type { ExecutorLink } from "./model.js";
export { place } from "./placement.js";
export type { Requirements, ExecutorView, Placement } from "./placement.js";
