/**
 * Browser code, part 4: following a request's progress stream (SSE). EventSource when no API key is
 * set; with a key, a fetch stream, because EventSource cannot send an Authorization header. Both end
 * at the final event named by FINISHED_EVENT. Same string rules as dom.ts.
 */
export const LIVE_JS = String.raw`
/** Calls onEvent(ev) for each event and onFinished(outcome) at the end; returns a stop function. */
function follow(path, onEvent, onFinished, onBroken) {
  const url = apiBase() + path;
  if (!apiKey()) {
    const es = new EventSource(url);
    for (const kind of EVENT_KINDS) es.addEventListener(kind, (e) => onEvent(JSON.parse(e.data)));
    es.addEventListener(FINISHED_EVENT, (e) => { es.close(); onFinished(JSON.parse(e.data)); });
    // EventSource reconnects by itself with Last-Event-ID; a closed one (e.g. 404) is broken for good.
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) onBroken(); };
    return () => es.close();
  }
  const ctrl = new AbortController();
  (async () => {
    const res = await fetch(url, { headers: { authorization: "Bearer " + apiKey(), accept: "text/event-stream" }, signal: ctrl.signal });
    if (!res.ok || !res.body) throw new Error("progress stream: " + res.status);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "", name = "message", data = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (line === "") {
          if (data) {
            const payload = JSON.parse(data);
            if (name === FINISHED_EVENT) { ctrl.abort(); onFinished(payload); return; }
            onEvent(payload);
          }
          name = "message"; data = "";
        } else if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(5).replace(/^ /, "");
      }
    }
    onBroken();
  })().catch((e) => { if (!ctrl.signal.aborted) onBroken(e); });
  return () => ctrl.abort();
}
`;
