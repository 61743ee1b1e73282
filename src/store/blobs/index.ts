/** Blob stores: a local directory (default) and an in-memory one for tests. */
export { createLocalBlobStore } from "./local.js";
export { createMemoryBlobStore } from "./memory.js";
export { BlobNotFoundError, BlobTooLargeError, InvalidBlobKeyError, validateBlobKey } from "./errors.js";
