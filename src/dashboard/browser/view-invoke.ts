/**
 * Browser code: invoke an application from a form generated from its input schema (read from its
 * OpenAPI document, `GET …/applications/{app}/openapi.json`), then follow the new request live on
 * its progress stream — status, overall progress, and the output when it finishes. A `File` input
 * is a file picker; "Raw JSON" edits the whole input as JSON instead of field by field.
 */
import type { InvokeResponse, RequestFinishedData } from "../../core/api.js";
import { appHeader, appTabHref } from "./app-tabs.js";
import { api, apiRaw, setCrumbs, showError } from "./connection.js";
import { appHref, enc, fill, h, outcomeText, requestHref, statusBadge } from "./dom.js";
import { follow } from "./live.js";
import { inlineOutput, fetchOutput } from "./output-view.js";
import { overallBar } from "./overall-bar.js";
import { FieldError, OMIT, schemaForm, type JsonSchema } from "./schema-form.js";
import type { View } from "./view.js";

/** The part of the application's OpenAPI document that describes the invoke's body. */
interface InvokeDoc {
  paths: Record<
    string,
    { post?: { requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } } }
  >;
}

/** What the invoke sends: JSON (from the schema), a file's bytes, or nothing. */
type InputSpec =
  { kind: "json"; schema: JsonSchema | undefined; optional: boolean } | { kind: "file"; optional: boolean };

function inputSpec(doc: InvokeDoc): InputSpec {
  const body = Object.values(doc.paths).find((p) => p.post)?.post?.requestBody;
  const optional = body?.required !== true;
  const content = body?.content ?? {};
  if (content["*/*"]) return { kind: "file", optional };
  const schema = content["application/json"]?.schema;
  // `{}` is "any JSON": no schema to build fields from.
  return { kind: "json", schema: schema && Object.keys(schema).length ? schema : undefined, optional };
}

/** A body for fetch with its content type, or null for an invoke with no input. */
type Body = { body: BodyInit; type: string } | null;

export async function renderInvoke(view: View, main: HTMLElement, app: string): Promise<void> {
  setCrumbs([
    ["Applications", "#/"],
    [app, appHref(app)],
    ["Invoke", appTabHref(app, "invoke")],
  ]);
  const spec = inputSpec(await api<InvokeDoc>(`/applications/${enc(app)}/openapi.json`));
  if (!view.alive()) return;

  const error = h("p", { class: "error", id: "invoke-error", role: "alert", hidden: true });
  const result = h("section", { id: "invoke-result", "aria-label": "The new request", hidden: true });
  const submit = h("button", { type: "submit", id: "invoke-submit" }, "Invoke");
  const form = h("form", { id: "invoke-form", class: "invoke", "aria-label": `Input of ${app}` });
  let read: () => Body;

  if (spec.kind === "file") {
    const file = h("input", { id: "input-file", type: "file" });
    form.append(
      h("div", { class: "field" }, h("label", { for: "input-file" }, "Input file"), file),
      h("p", { class: "muted" }, "Sent as raw bytes with the file's type."),
    );
    read = () => {
      const f = file.files?.[0];
      if (!f) {
        if (spec.optional) return null;
        throw new FieldError("Input file", "choose a file");
      }
      return { body: f, type: f.type || "application/octet-stream" };
    };
  } else {
    const generated = schemaForm(spec.schema, spec.optional);
    const fields = h("div", { class: "fields" }, generated.fields);
    const raw = h("textarea", { id: "input-raw", rows: 8, cols: 72, spellcheck: "false", class: "mono", hidden: true });
    const rawToggle = h("input", { id: "raw-json", type: "checkbox" });
    // Switching to raw JSON starts from what the fields hold (when they hold something valid).
    rawToggle.addEventListener("change", () => {
      if (rawToggle.checked) {
        try {
          const v = generated.read();
          raw.value = v === OMIT ? "" : JSON.stringify(v, null, 2);
        } catch {
          // keep what the textarea had
        }
      }
      fields.hidden = rawToggle.checked;
      raw.hidden = !rawToggle.checked;
    });
    form.append(fields, h("div", { class: "field" }, h("label", { for: "raw-json" }, rawToggle, " Raw JSON"), raw));
    read = () => {
      let v: unknown;
      if (rawToggle.checked) {
        const text = raw.value.trim();
        if (text === "") v = OMIT;
        else {
          try {
            v = JSON.parse(text);
          } catch (e) {
            throw new FieldError("Raw JSON", `not JSON (${e instanceof Error ? e.message : String(e)})`);
          }
        }
      } else v = generated.read();
      return v === OMIT ? null : { body: JSON.stringify(v), type: "application/json" };
    };
  }
  form.append(h("div", { class: "toolbar" }, submit), error);

  let stop: (() => void) | null = null;
  view.onClose(() => stop?.());
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.hidden = true;
    let body: Body;
    try {
      body = read();
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    invoke(app, body)
      .then((id) => {
        if (!view.alive()) return;
        stop?.();
        stop = followRequest(app, id, result);
      })
      .catch((err: unknown) => {
        // The server's own words: a schema violation names the failing path.
        error.textContent = err instanceof Error ? err.message : String(err);
        error.hidden = false;
      })
      .finally(() => {
        submit.disabled = false;
      });
  });

  fill(
    main,
    appHeader(app, "invoke"),
    spec.kind === "json" && !spec.schema
      ? h("p", { class: "muted" }, "This application declares no input schema: give the input as JSON.")
      : null,
    form,
    result,
  );
}

async function invoke(app: string, b: Body): Promise<string> {
  const init: RequestInit = { method: "POST" };
  if (b) init.body = b.body;
  if (b) init.headers = { "content-type": b.type };
  const res = await apiRaw(`/applications/${enc(app)}`, init);
  return ((await res.json()) as InvokeResponse).request_id;
}

/** Follows request `id` into `panel`; returns a stop function. */
function followRequest(app: string, id: string, panel: HTMLElement): () => void {
  const status = h("span", { id: "invoke-status" }, statusBadge("pending"));
  const bar = overallBar("invoke-progress", "Progress");
  const message = h("span", { class: "muted", id: "invoke-progress-message" });
  const output = h("div", { id: "invoke-output" });
  panel.hidden = false;
  panel.replaceChildren(
    h("h2", null, "Request ", h("a", { class: "mono", href: requestHref(app, id), id: "invoke-request" }, id)),
    h("dl", { class: "facts" }, h("dt", null, "Status"), h("dd", null, status)),
    h("div", { class: "toolbar" }, bar.el, message),
    output,
  );
  const base = `/applications/${enc(app)}/requests/${enc(id)}`;
  const finished = (d: RequestFinishedData): void => {
    status.replaceChildren(statusBadge(d.status), " ", outcomeText(d.outcome));
    if (d.status === "succeeded") {
      bar.complete();
      if (d.output) output.replaceChildren(inlineOutput(d.output, "invoke-output-value"));
      else
        fetchOutput(`${base}/output`, "invoke-output-value")
          .then((el) => output.replaceChildren(el))
          .catch(showError);
    } else {
      const why = d.request_error?.message ?? d.error?.message ?? d.failure_reason ?? d.status;
      output.replaceChildren(h("p", { class: "error" }, why));
    }
  };
  return follow(`${base}/progress?events=all`, {
    onEvent: (ev) => {
      if (ev.kind === "request:started" || ev.kind === "attempt:started")
        status.replaceChildren(statusBadge("running"));
      const d = ev.data;
      if (ev.kind === "progress") {
        if (typeof ev.fraction === "number") bar.set(ev.fraction);
        if (typeof d?.message === "string") message.textContent = d.message;
      }
    },
    onFinished: finished,
    onBroken: () => showError(new Error(`the progress stream of ${id} broke: open the request to see it`)),
  });
}
