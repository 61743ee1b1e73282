/**
 * The store layer: the Store and BlobStore interfaces, the SQLite adapter, the blob stores and
 * `openStore`. The contract suite (`contract.ts`) is exported separately because it imports
 * `node:test`.
 */
export type * from "./types.js";
export { createSqliteStore, SchemaTooNewError, UnknownRequestError, type SqliteStoreOptions } from "./sqlite/index.js";
export {
  createLocalBlobStore,
  createMemoryBlobStore,
  BlobNotFoundError,
  BlobTooLargeError,
  InvalidBlobKeyError,
  validateBlobKey,
} from "./blobs/index.js";
export { InvalidCursorError, decodeCursor, encodeCursor } from "./cursor.js";
export { openStore, openPostgresBlobStore, type PostgresBlobStore } from "./open.js";
// Not createPostgresStore: a value export would load the `postgres` driver with this module. Open a
// PostgreSQL store through openStore (which imports the adapter on demand) or import ./postgres/.
export type { PostgresStoreOptions } from "./postgres/index.js";
