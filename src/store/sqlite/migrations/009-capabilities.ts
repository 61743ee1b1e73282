/**
 * Migration 009: the columns of postgres/migrations/009-capabilities.ts (`servers.capabilities`,
 * `requests.needs`). A SQLite store serves one server, so they stay unused there; they exist so
 * that both adapters keep one schema and pass one contract.
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE servers ADD COLUMN capabilities TEXT;
ALTER TABLE requests ADD COLUMN needs TEXT;
`;
