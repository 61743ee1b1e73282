/**
 * An incremental `text/event-stream` parser (the WHATWG "event stream interpretation").
 *
 * Invariants: bytes may be split anywhere (inside a UTF-8 sequence, between `\r` and `\n`, inside a
 * field name); the output is the same as if the whole stream had arrived at once. Lines end with
 * `\r\n`, `\n` or `\r`. Comment lines (`: heartbeat`) are ignored. An event is dispatched at a blank
 * line and only when it has data; an event cut off by the end of the stream is discarded, as the
 * spec requires, so a dropped connection never yields half an event.
 */

/** One dispatched event. `id` is the stream's last event id at dispatch (ids persist across events). */
export interface SseMessage {
  id: string | undefined;
  /** The `event:` field, `"message"` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * @example
 * const p = new SseParser();
 * p.push("id: 1\nevent: progress\ndata: {\"a\":1}\n\n"); // [{ id: "1", event: "progress", data: '{"a":1}' }]
 */
export class SseParser {
  /** The last `retry:` value in milliseconds, if the server sent one. */
  retry: number | undefined;
  /** The last event id seen (what `Last-Event-ID` must carry on reconnect). */
  lastEventId: string | undefined;
  private readonly decoder = new TextDecoder();
  private buf = "";
  /** A chunk ended with `\r`: a `\n` at the start of the next chunk belongs to that line end. */
  private skipLF = false;
  private data: string[] = [];
  private eventType = "";

  constructor(lastEventId?: string) {
    this.lastEventId = lastEventId;
  }

  /** Feeds bytes (or text) and returns the events completed by them. */
  push(chunk: Uint8Array | string): SseMessage[] {
    let text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.skipLF && text.length > 0) {
      if (text.charCodeAt(0) === 10) text = text.slice(1);
      this.skipLF = false;
    }
    const buf = this.buf + text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(buf.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLF = true;
        }
      }
      start = i + 1;
    }
    this.buf = buf.slice(start);
    return out;
  }

  /** The stream ended: flushes the decoder; an unterminated event is dropped (see header). */
  end(): SseMessage[] {
    const out = this.push(this.decoder.decode());
    this.buf = "";
    this.data = [];
    this.eventType = "";
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.data.length > 0)
        out.push({ id: this.lastEventId, event: this.eventType || "message", data: this.data.join("\n") });
      this.data = [];
      this.eventType = "";
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored by the spec.
        break;
    }
  }
}
