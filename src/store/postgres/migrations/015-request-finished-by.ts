/**
 * PostgreSQL migration 015: `requests.finished_by`, the attempt whose finish finished the request
 * (NULL when none did: a cancellation, a timeout, a request finished by a server before this step).
 *
 * An attempt's finish (attempts.ts `finishAttempt`) that also finishes its request updated the
 * request row with one of two UPDATEs: one applying the request's patch while it was unfinished,
 * else one reserving the seqs of the attempt's own events. Only one applies, but each is a
 * ModifyTable PostgreSQL sets up (its indexes opened, its projections built) on every finish:
 * about 5 % of the database's instructions per trivial request. One UPDATE now does both, each
 * patched column `CASE WHEN unfinished THEN new ELSE old END`, and must still tell its caller which
 * happened (whether `request:finished` is journaled), which RETURNING cannot read from the old
 * row (PostgreSQL 15): it sets `finished_by` to the attempt's id only when the patch applies and
 * returns whether it holds that id. An attempt's finish applies once (its compare-and-set on the
 * attempt's status), so the id is the attempt's own only if this very statement wrote it.
 *
 * Adding a nullable column without a default rewrites nothing. A server of an earlier release
 * neither reads nor writes it.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE requests ADD COLUMN finished_by text;
`;
