/**
 * Runs a curl line exactly as `tributary dev` printed it: through `sh -c` when curl is installed,
 * otherwise by splitting it as a POSIX shell would (the printed lines use only single quotes) and
 * replaying it with fetch.
 */
import { execFileSync, spawnSync } from "node:child_process";

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

/** The response body of the pasted command (curl writes it to stdout). */
export async function runCurlLine(line: string): Promise<{ via: "sh" | "fetch"; body: string }> {
  if (hasCurl) return { via: "sh", body: execFileSync("sh", ["-c", line], { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "pipe"] }) };
  const words = shellWords(line);
  if (words[0] !== "curl") throw new Error(`not a curl line: ${line}`);
  let method = "GET";
  let url = "";
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-X") method = words[++i]!;
    else if (w === "-H") {
      const h = words[++i]!;
      const colon = h.indexOf(":");
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else if (w === "-d") body = words[++i]!;
    else if (!w.startsWith("-")) url = w;
  }
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  return { via: "fetch", body: await res.text() };
}
