export { createExecutor, defaultCapacity } from "./executor.js";
export type { ExecutorOptions, RunningExecutor } from "./executor.js";
