/**
 * Wake-ups between servers on one database (`Store.hints`): LISTEN/NOTIFY on one channel per
 * schema, so clusters in different schemas of one database do not wake each other.
 *
 * NOTIFY takes a database-wide lock at commit, so callers coalesce (one publish per batch of
 * commits, never one per row). postgres.js keeps the LISTEN connection apart from the pool and
 * re-listens after it reconnects; a notification lost meanwhile costs latency only (readers poll).
 *
 * A publish rides in the batch of writes being gathered, if any (group-commit.ts `ride`): under
 * load it then costs no transaction (nor WAL flush) of its own, and NOTIFY is delivered at that
 * batch's COMMIT. It is issued after the commits it announces have settled, so it never announces
 * uncommitted rows.
 */
import type { HintChannel } from "../types.js";
import type { Sql } from "./connect.js";
import type { Begin } from "./group-commit.js";

export function hintChannel(sql: Sql, begin: Begin, schema: string | undefined): HintChannel {
  const channel = schema === undefined ? "tributary" : `tributary_${schema}`;
  return {
    async publish(payload) {
      await begin.ride((tx) => tx`SELECT pg_notify(${channel}, ${payload})`);
    },
    async listen(onHint) {
      const { unlisten } = await sql.listen(channel, onHint);
      return unlisten;
    },
  };
}
