export { createServer } from "./server.js";
export type { ServerOptions, RunningServer } from "./server.js";
export { createApp } from "./app.js";
export { InsecureBindError, isLoopback } from "./auth/bind-policy.js";
