/**
 * Migration 006: what each attempt consumed (DESIGN §2 Usage), as its executor reported it with the
 * result: wall and CPU seconds, peak resident memory, memory GB-seconds and whether its container
 * was started for it. All null for attempts from before it, still running, or lost with their
 * executor (`wall_seconds IS NULL` means "no report").
 *
 * NEVER edit this file once shipped: add a new numbered file instead.
 */
export const sql = `
ALTER TABLE attempts ADD COLUMN wall_seconds REAL;
ALTER TABLE attempts ADD COLUMN cpu_seconds REAL;
ALTER TABLE attempts ADD COLUMN peak_memory_bytes INTEGER;
ALTER TABLE attempts ADD COLUMN memory_gb_seconds REAL;
ALTER TABLE attempts ADD COLUMN container_started INTEGER;
`;
