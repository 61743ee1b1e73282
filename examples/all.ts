// Every example, for `tributary dev examples/all.ts`.
export * from "./hello-world.js";
export * from "./configured-application.js";
export * from "./functions.js";
export * from "./greet.js";
export * from "./process-data.js";
export * from "./string-length.js";
export * from "./classes.js";
export * from "./timeouts.js";
export * from "./retries.js";
export * from "./request-context.js";
export * from "./resources.js";
