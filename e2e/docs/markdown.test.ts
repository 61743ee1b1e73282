// The docs-test convention (markdown.ts): which lines are commands, which are their shown output,
// and how shown output is compared, so the docs test neither runs prose nor accepts wrong output.
import { it } from "node:test";
import assert from "node:assert/strict";
import { outputMatches, scenarios, shellBlocks } from "./markdown.js";

const MD = [
  "# Title",
  "## Quick start",
  "```sh",
  "# a comment, not output",
  "npx tributary dev app.ts",
  "# Tributary dev",
  "# …",
  "",
  "# a comment after a blank line",
  "curl -X POST http://x \\",
  "  -d '1'",
  "# 2",
  "```",
  "```ts",
  "const notRun = 1;",
  "```",
  "### Sub",
  '<!-- docs-test: skip "needs docker" -->',
  "```sh",
  "docker ps",
  "```",
  "## Other",
  "```sh",
  "echo hi",
  "```",
].join("\n");

it("reads sh blocks: commands, continuations, shown output, skips and sections", () => {
  const blocks = shellBlocks(MD, "X.md");
  assert.equal(blocks.length, 3);
  assert.deepEqual(blocks[0]!.commands, [
    { text: "npx tributary dev app.ts", line: 5, expected: ["Tributary dev", "…"] },
    { text: "curl -X POST http://x  -d '1'", line: 10, expected: ["2"] },
  ]);
  assert.equal(blocks[0]!.skip, null);
  assert.equal(blocks[1]!.skip, "needs docker");
  assert.equal(blocks[1]!.section, "Quick start", "### belongs to its ## section");
  assert.deepEqual(
    scenarios(blocks).map((s) => [s.name, s.blocks.length]),
    [
      ["X.md › Quick start", 2],
      ["X.md › Other", 1],
    ],
  );
});

it("an unterminated block is an error, not a silently shorter test", () => {
  assert.throws(() => shellBlocks("```sh\necho hi\n", "Y.md"), /Y\.md:1: unterminated/);
});

it("compares output line by line, with … for any text and a lone … for any lines", () => {
  assert.ok(outputMatches(['{"request_id":"…"}'], '{"request_id":"01ab"}'));
  assert.ok(outputMatches(["Hello"], "Hello\n"));
  assert.ok(!outputMatches(["Hello"], "Hello\nmore\n"), "extra lines fail");
  assert.ok(!outputMatches(["Hello"], "Hell\n"));
  assert.ok(!outputMatches(['"a"'], "a\n"), "quotes matter");
  assert.ok(!outputMatches(["executor … serving http://h:1"], "executor x serving http://h:2\n"));
  assert.ok(outputMatches(["A", "…", "Z …"], "A\nb\nc\nZ end\n"));
  assert.ok(outputMatches(["A", "…", "Z"], "A\nZ\n"), "a lone … may stand for no line");
  assert.ok(!outputMatches(["A", "…", "Z"], "A\nb\n"));
});

it("prefix mode waits for complete lines of a running process", () => {
  assert.ok(outputMatches(["server at http://h:1"], "server at http://h:1\nmore later", true));
  assert.ok(!outputMatches(["server at http://h:1"], "server at http://h:1", true), "the line is not complete yet");
  assert.ok(!outputMatches(["server at http://h:1"], "server at http://h:12\n", true));
});
