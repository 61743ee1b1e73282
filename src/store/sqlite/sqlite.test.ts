/** Runs the Store contract against SQLite: one fresh database file per test, removed afterwards. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { storeContract } from "../contract.js";
import { createSqliteStore } from "./index.js";

const root = mkdtempSync(join(tmpdir(), "tributary-sqlite-contract-"));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
storeContract("sqlite (file)", async () => {
  const dir = join(root, String(++n));
  const store = createSqliteStore(join(dir, "store.db"));
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  };
  return store;
});

storeContract("sqlite (:memory:)", async () => createSqliteStore(":memory:"));
