/**
 * The OpenAPI document of one application, from the JSON Schemas captured at deploy: the
 * application's own `input` / `output` schemas, or the ones deploy derived from its handler's types
 * (DESIGN.md §1). A `File` input is any content type, as raw bytes.
 */
import type { ApplicationRow } from "../store/types.js";

export function openApiFor(namespace: string, row: ApplicationRow): unknown {
  const app = row.manifest.applications.find((a) => a.name === row.name)!;
  const json = (schema: unknown) => ({ "application/json": { schema: schema ?? {} } });
  return {
    openapi: "3.1.0",
    info: { title: row.name, version: String(row.version), description: app.description },
    paths: {
      [`/v1/namespaces/${namespace}/applications/${row.name}`]: {
        post: {
          operationId: `invoke_${row.name}`,
          summary: `Invoke ${row.name}`,
          requestBody:
            app.inputFromType?.kind === "file"
              ? {
                  required: !app.inputFromType.optional,
                  content: { "*/*": { schema: { type: "string", format: "binary" } } },
                }
              : {
                  required: app.hasInputSchema || app.inputFromType?.optional === false,
                  content: json(app.inputJsonSchema),
                },
          responses: {
            "200": {
              description: "The request was created",
              content: json({
                type: "object",
                properties: { request_id: { type: "string" } },
                required: ["request_id"],
              }),
            },
            "400": { description: "The input is malformed or violates the schema" },
            "404": { description: "Unknown application" },
          },
        },
      },
      [`/v1/namespaces/${namespace}/applications/${row.name}/requests/{request_id}/output`]: {
        get: {
          operationId: `output_${row.name}`,
          parameters: [{ name: "request_id", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "The output", content: json(app.outputJsonSchema) } },
        },
      },
    },
  };
}
