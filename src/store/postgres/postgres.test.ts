/**
 * Runs the Store contract against PostgreSQL: a fresh schema per test (the contract lists global
 * queues, so each test needs an empty store), all of this file's schemas dropped at the end.
 * Skipped with a notice when no PostgreSQL answers within 2 s.
 */
import { after, describe } from "node:test";
import { storeContract } from "../contract.js";
import { schemaFactory, storeInFreshSchema, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) {
  console.log(`postgres tests skipped: ${skip}`);
  describe("store contract: postgres", { skip }, () => {});
} else {
  const schemas = schemaFactory();
  after(() => schemas.dropAll());
  storeContract("postgres", () => storeInFreshSchema(schemas.next()));
}
