// Every example, for `tributary dev examples/all.ts`.
// Not string-length.ts: it needs the secret `my_secret`, an H100 GPU and the ubuntu:24.04 image, which
// a laptop does not have. Deploy it on its own against executors that declare them (see README).
export * from "./hello-world.js";
export * from "./configured-application.js";
export * from "./functions.js";
export * from "./greet.js";
export * from "./process-data.js";
export * from "./classes.js";
export * from "./timeouts.js";
export * from "./retries.js";
export * from "./request-context.js";
export * from "./resources.js";
