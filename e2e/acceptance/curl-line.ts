/**
 * Runs a curl line exactly as `tributary dev` printed it: through `sh -c` when curl is installed,
 * otherwise by splitting it as a POSIX shell would (the printed lines use only single quotes) and
 * replaying it with fetch.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";

const hasCurl = spawnSync("sh", ["-c", "command -v curl"], { stdio: "ignore" }).status === 0;

/** Splits a command line on blanks, honouring single-quoted strings and `'\''` escapes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      cur = (cur ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\" && i + 1 < line.length) {
      cur = (cur ?? "") + line[++i];
    } else if (c === " " || c === "\t") {
      if (cur !== null) words.push(cur);
      cur = null;
    } else cur = (cur ?? "") + c;
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** Marks the HTTP status curl appends after the body (`-w`), so the body stays byte-exact. */
const STATUS_MARK = "\n@@http-status@@";

/**
 * Runs a pasted command in `cwd` (default: this process's): its response body on stdout (or in the
 * file its `-o` names, relative to `cwd`) and the HTTP status. With curl, the line runs exactly as
 * printed through `sh -c`, with only `-sS -w …` appended to report the status.
 */
export async function runCurlLine(
  line: string,
  cwd?: string,
): Promise<{ via: "sh" | "fetch"; body: string; status: number }> {
  if (hasCurl) {
    const out = execFileSync("sh", ["-c", `${line} -sS -w '${STATUS_MARK.replace("\n", "\\n")}%{http_code}'`], {
      cwd,
      encoding: "utf8",
      timeout: 40_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const at = out.lastIndexOf(STATUS_MARK);
    return { via: "sh", body: out.slice(0, at), status: Number(out.slice(at + STATUS_MARK.length)) };
  }
  const words = shellWords(line);
  if (words[0] !== "curl") throw new Error(`not a curl line: ${line}`);
  let method = "GET";
  let url = "";
  let body: string | undefined;
  let outFile: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-X") method = words[++i]!;
    else if (w === "-H") {
      const h = words[++i]!;
      const colon = h.indexOf(":");
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else if (w === "-d" || w === "--data-binary") body = words[++i]!;
    else if (w === "-o") outFile = words[++i]!;
    else if (!w.startsWith("-")) url = w;
  }
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (outFile !== undefined) {
    writeFileSync(resolve(cwd ?? process.cwd(), outFile), bytes);
    return { via: "fetch", body: "", status: res.status };
  }
  return { via: "fetch", body: new TextDecoder().decode(bytes), status: res.status };
}
