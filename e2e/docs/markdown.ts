/**
 * The command blocks of the user's documentation, read from the markdown itself, so a test of them
 * breaks when the text changes and stops working.
 *
 * The convention the docs follow (README.md and docs/*.md):
 * - A fenced ```sh block holds commands a user pastes, one per line (a line ending in `\` continues
 *   on the next).
 * - `# ` lines right after a command show what it prints on stdout. `…` inside such a line stands
 *   for any text; a line that is only `…` stands for any number of lines. A `#` line that follows
 *   no command (or a blank line) is a plain comment.
 * - `<!-- docs-test: skip "reason" -->` on the line before a block: the block cannot run in the test
 *   (it installs packages, needs docker, …); the reason is reported.
 * - Blocks are grouped by their `##` section: the blocks of one section are one scenario, run in
 *   order in one fresh directory (`###` subsections belong to their section).
 */

export interface DocCommand {
  /** The command as written (continuations joined). */
  text: string;
  /** 1-based line in the markdown file. */
  line: number;
  /** The output lines the text shows for it (without `# `); empty when it shows none. */
  expected: string[];
}

export interface DocBlock {
  file: string;
  /** The `##` heading the block is under ("" before the first one). */
  section: string;
  /** 1-based line of the opening fence. */
  line: number;
  commands: DocCommand[];
  /** Set when the block is marked `docs-test: skip`. */
  skip: string | null;
}

const SKIP_RE = /^<!--\s*docs-test:\s*skip\s+"([^"]+)"\s*-->\s*$/;
const FENCE_RE = /^```(\S*)\s*$/;

/**
 * Every ```sh block of a markdown text, in order.
 *
 * @example
 * shellBlocks("## Run\n```sh\necho hi\n# hi\n```\n", "README.md");
 * // [{ file: "README.md", section: "Run", line: 2, skip: null,
 * //    commands: [{ text: "echo hi", line: 3, expected: ["hi"] }] }]
 */
export function shellBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const fence = FENCE_RE.exec(l);
    if (!fence) {
      if (/^## /.test(l)) section = l.slice(3).trim();
      continue;
    }
    const end = lines.findIndex((x, j) => j > i && /^```\s*$/.test(x));
    if (end < 0) throw new Error(`${file}:${i + 1}: unterminated code block`);
    if (fence[1] === "sh") {
      const marker = SKIP_RE.exec(lines[i - 1] ?? "");
      blocks.push({
        file,
        section,
        line: i + 1,
        commands: commandsOf(lines.slice(i + 1, end), i + 2),
        skip: marker ? marker[1]! : null,
      });
    }
    i = end;
  }
  return blocks;
}

function commandsOf(body: string[], firstLine: number): DocCommand[] {
  const out: DocCommand[] = [];
  let last: DocCommand | null = null;
  for (let k = 0; k < body.length; k++) {
    const raw = body[k]!;
    if (raw.trim() === "") {
      last = null;
      continue;
    }
    if (raw.startsWith("#")) {
      // "# text" (or a bare "#" for an empty line) is output only right after a command.
      if (last) last.expected.push(raw === "#" ? "" : raw.replace(/^# /, ""));
      continue;
    }
    const line = firstLine + k;
    let text = raw;
    while (text.endsWith("\\") && k + 1 < body.length) text = text.slice(0, -1) + " " + body[++k]!.trim();
    last = { text: text.trim(), line, expected: [] };
    out.push(last);
  }
  return out;
}

/**
 * The blocks grouped into scenarios: one per file and `##` section, in document order.
 *
 * @example
 * scenarios(blocks).map((s) => s.name); // ["README.md › Quick start", …]
 */
export function scenarios(blocks: DocBlock[]): { name: string; blocks: DocBlock[] }[] {
  const byName = new Map<string, DocBlock[]>();
  for (const b of blocks) {
    const name = `${b.file} › ${b.section || "(top)"}`;
    byName.set(name, [...(byName.get(name) ?? []), b]);
  }
  return [...byName].map(([name, list]) => ({ name, blocks: list }));
}

/**
 * True when `actual` (a command's stdout) is what `expected` shows: line by line, trailing blanks
 * ignored, `…` for any text within a line, a lone `…` line for any number of lines. With `prefix`,
 * `actual` may go on after the shown lines (a long-running command's output so far).
 *
 * @example
 * outputMatches(['{"request_id":"…"}'], '{"request_id":"01ab"}'); // true
 */
export function outputMatches(expected: string[], actual: string, prefix = false): boolean {
  const pattern = expected
    .map((e) => {
      if (e.trim() === "…") return "(?:[^\\n]*\\n)*?";
      return e.trimEnd().split("…").map(escapeRe).join("[^\\n]*?") + "[ \\t]*\\n";
    })
    .join("");
  const normalized = actual.replace(/\r\n/g, "\n");
  // A running process may be mid-line: only its complete lines count.
  const text = prefix ? normalized.slice(0, normalized.lastIndexOf("\n") + 1) : normalized.replace(/\n*$/, "\n");
  return new RegExp(`^${pattern}${prefix ? "" : "$"}`).test(text);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
