import { test } from "node:test";
import assert from "node:assert/strict";
import { SseParser, type SseMessage } from "../../src/client/sse-parser.js";

const STREAM =
  ": connected\n" +
  "retry: 1500\n" +
  'id: 1\r\nevent: progress\r\ndata: {"a":1}\r\n\r\n' +
  "id: 2\revent: progress\rdata: line one\rdata: line two\r\r" +
  ": heartbeat\n\n" +
  "data:no-space\nid: 3\n\n" +
  "event: note\ndata: héllo ✓ 🌊\ndata\n\n" +
  'id: 4\nevent: RequestFinished\ndata: {"status":"succeeded"}\n\n';

const EXPECTED: SseMessage[] = [
  { id: "1", event: "progress", data: '{"a":1}' },
  { id: "2", event: "progress", data: "line one\nline two" },
  { id: "3", event: "message", data: "no-space" },
  { id: "3", event: "note", data: "héllo ✓ 🌊\n" },
  { id: "4", event: "RequestFinished", data: '{"status":"succeeded"}' },
];

function parseChunks(chunks: Uint8Array[]): { messages: SseMessage[]; parser: SseParser } {
  const parser = new SseParser();
  const messages = chunks.flatMap((c) => parser.push(c));
  messages.push(...parser.end());
  return { messages, parser };
}

test("parses ids, event names, multi-line data, comments and retry", () => {
  const { messages, parser } = parseChunks([new TextEncoder().encode(STREAM)]);
  assert.deepEqual(messages, EXPECTED);
  assert.equal(parser.retry, 1500);
  assert.equal(parser.lastEventId, "4");
});

test("a split at any byte gives the same events (inside UTF-8, between CR and LF)", () => {
  const bytes = new TextEncoder().encode(STREAM);
  for (let i = 0; i <= bytes.length; i++) {
    const { messages } = parseChunks([bytes.slice(0, i), bytes.slice(i)]);
    assert.deepEqual(messages, EXPECTED, `split at byte ${i}`);
  }
  const oneByOne = parseChunks([...bytes].map((b) => Uint8Array.of(b)));
  assert.deepEqual(oneByOne.messages, EXPECTED);
});

test("three-way splits around every CRLF give the same events", () => {
  const bytes = new TextEncoder().encode(STREAM);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 13) continue;
    const { messages } = parseChunks([bytes.slice(0, i), bytes.slice(i, i + 1), bytes.slice(i + 1)]);
    assert.deepEqual(messages, EXPECTED, `CR at byte ${i}`);
  }
});

test("an event cut off by the end of the stream is dropped", () => {
  const p = new SseParser();
  assert.deepEqual(p.push("id: 7\ndata: complete\n\nid: 8\ndata: partial"), [
    { id: "7", event: "message", data: "complete" },
  ]);
  assert.deepEqual(p.end(), []);
  // The id line of the cut-off event was complete, so it counts for resumption (spec behaviour).
  assert.equal(p.lastEventId, "8");
});

test("events without data are not dispatched; ids persist; ids with NUL are ignored", () => {
  const p = new SseParser("5");
  assert.deepEqual(p.push("event: ping\n\n"), []);
  assert.deepEqual(p.push("data: x\n\n"), [{ id: "5", event: "message", data: "x" }]);
  assert.deepEqual(p.push("id: a\0b\ndata: y\n\n"), [{ id: "5", event: "message", data: "y" }]);
  assert.deepEqual(p.push("retry: soon\nunknown: field\ndata: z\n\n"), [{ id: "5", event: "message", data: "z" }]);
  assert.equal(p.retry, undefined);
});

test("accepts string chunks", () => {
  const p = new SseParser();
  assert.deepEqual(
    [...p.push("data: a"), ...p.push("b\n"), ...p.push("\n")],
    [{ id: undefined, event: "message", data: "ab" }],
  );
});
