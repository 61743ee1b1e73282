/**
 * PostgreSQL migration 010: `tributary_refuse(request_id)`, which raises the owner fence's refusal
 * (events.ts `ownerFence`) from inside a statement, with SQLSTATE `TRB01` and the message the store
 * gives a refused write. A transition that is one statement calls it when its event counter was
 * fenced, so the statement fails, writes nothing, and rolls its transaction back even when that
 * transaction's COMMIT is already on its way (group-commit.ts pipelines it). No SQLite counterpart:
 * one server owns a SQLite store.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE FUNCTION tributary_refuse(rid text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  holder text;
BEGIN
  SELECT owner INTO holder FROM requests WHERE id = rid;
  RAISE EXCEPTION USING ERRCODE = 'TRB01', MESSAGE = format(
    'request %s is owned by server %s: this server no longer runs it',
    to_json(rid)::text, coalesce(to_json(holder)::text, 'null'));
END
$$;
`;
