/**
 * The dashboard's script, as bundled at build time by scripts/build-dashboard.js from the browser
 * modules in ./browser into `app.js` beside this file (dist/src/dashboard/app.js, shipped in the
 * package). Read once, on first use, so a server starts even where the bundle is missing and only
 * /ui/app.js reports it.
 */
import { readFileSync } from "node:fs";

const SCRIPT_URL = new URL("./app.js", import.meta.url);

let cached: string | undefined;

/**
 * The bundled dashboard script, or null when it was not built (a `tsc`-only build).
 *
 * @example
 * const js = dashboardScript() ?? "// not built: run npm run build";
 */
export function dashboardScript(): string | null {
  if (cached !== undefined) return cached;
  try {
    cached = readFileSync(SCRIPT_URL, "utf8");
    return cached;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}
