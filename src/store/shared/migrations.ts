/**
 * What both SQL adapters' migration runners share: the shape of one numbered schema step, and the
 * refusal of a database that a newer build migrated (its schema may mean things this code does not
 * know).
 */

/**
 * One schema step. `version` is its number: unique, ascending in the list, reserved per change (so a
 * list may have a gap until the lower-numbered step lands).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Thrown when the database was migrated by a newer build. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `the database schema is at version ${databaseVersion}, newer than this build knows (${knownVersion}); ` +
        `upgrade tributary or point --store at another database`,
    );
    this.name = "SchemaTooNewError";
  }
}
