/**
 * Wake-ups between servers on one database (`Store.hints`): LISTEN/NOTIFY on one channel per
 * schema, so clusters in different schemas of one database do not wake each other.
 *
 * NOTIFY takes a database-wide lock at commit, so callers coalesce (one publish per batch of
 * commits, never one per row). postgres.js keeps the LISTEN connection apart from the pool and
 * re-listens after it reconnects; a notification lost meanwhile costs latency only (readers poll).
 */
import type { HintChannel } from "../types.js";
import type { Sql } from "./connect.js";

export function hintChannel(sql: Sql, schema: string | undefined): HintChannel {
  const channel = schema === undefined ? "tributary" : `tributary_${schema}`;
  return {
    async publish(payload) {
      await sql.notify(channel, payload);
    },
    async listen(onHint) {
      const { unlisten } = await sql.listen(channel, onHint);
      return unlisten;
    },
  };
}
