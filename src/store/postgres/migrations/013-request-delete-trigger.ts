/**
 * PostgreSQL migration 013: deleting a request row deletes what hangs on it, whoever deletes it.
 * Migration 011 dropped the foreign keys (and so the cascades) of `events`, `function_calls` and
 * `attempts` for speed, and `deleteRequest` deleted those rows in a second statement. A server of a
 * release before 011 still running during a rolling upgrade deletes the request row alone (it
 * relied on the cascades), which left its calls, attempts and events behind for good. An
 * `AFTER DELETE` trigger costs nothing on the hot path (no insert or update fires it) and makes a
 * plain `DELETE FROM requests` complete for every release; `deleteRequest` is now that statement.
 *
 * The trigger function is VOLATILE (the default), so under READ COMMITTED each of its statements
 * takes a fresh snapshot: it sees every row a writer of the request committed before the request's
 * row was locked by the delete, and no writer can add one after (it finds no request row to number
 * from). `limited_attempts` (migration 012) is cleaned the same way. The one-time sweep of rows
 * already orphaned reads each of the three tables once (an anti-join), under the migration lock.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
CREATE FUNCTION tributary_request_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM attempts WHERE request_id = OLD.id;
  DELETE FROM function_calls WHERE request_id = OLD.id;
  DELETE FROM limited_attempts WHERE request_id = OLD.id;
  DELETE FROM events WHERE request_id = OLD.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER requests_deleted AFTER DELETE ON requests
  FOR EACH ROW EXECUTE FUNCTION tributary_request_deleted();
-- Rows orphaned by a pre-011 server's delete before this migration ran.
DELETE FROM attempts a WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = a.request_id);
DELETE FROM function_calls c WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = c.request_id);
DELETE FROM events e WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = e.request_id);
`;
