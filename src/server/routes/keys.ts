/**
 * API keys (admin only, DESIGN.md §4): `POST /v1/keys { name, namespaces? }` → `{ id, key }`, the
 * key shown this once and stored as its SHA-256 digest; `GET /v1/keys` lists them without any
 * secret; `DELETE /v1/keys/{id}` revokes one (its next use gets 401).
 */
import { randomBytes } from "node:crypto";
import type { Hono } from "hono";
import { z } from "zod";
import type { ApiKeyRow } from "../../store/types.js";
import { digest, newApiKey } from "../auth/credentials.js";
import { readBody } from "../body.js";
import type { ServerContext } from "../context.js";
import { badRequest, notFound } from "../http-error.js";
import { firstIssue } from "../manifest-schema.js";
import { NAMESPACE_RE } from "../names.js";

const createBody = z.object({
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters"),
  namespaces: z.array(z.string().regex(NAMESPACE_RE, "must be a valid namespace name")).min(1).max(100).optional(),
});

const KEY_ID_RE = /^key_[0-9a-f]{16}$/;

/** A key as listed: never its secret, never its digest. */
function view(k: ApiKeyRow): { id: string; name: string; namespaces: string[] | null; created_at: number } {
  return { id: k.id, name: k.name, namespaces: k.namespaces, created_at: k.createdAt };
}

export function keyRoutes(app: Hono, s: ServerContext): void {
  app.post("/", async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await readBody(c, 64 * 1024)));
    } catch {
      throw badRequest('body must be JSON: { "name": "…", "namespaces"?: ["…"] }', { path: "$" });
    }
    const parsed = createBody.safeParse(json);
    if (!parsed.success) {
      const i = firstIssue(parsed.error);
      throw badRequest(`invalid key at ${i.path}: ${i.message}`, { path: i.path });
    }
    const key = newApiKey();
    const row: ApiKeyRow = {
      id: "key_" + randomBytes(8).toString("hex"),
      name: parsed.data.name,
      namespaces: parsed.data.namespaces ? [...new Set(parsed.data.namespaces)] : null,
      hash: digest(key).toString("hex"),
      createdAt: s.engine.now(),
    };
    await s.store.createApiKey(row);
    return c.json({ ...view(row), key }, 201);
  });

  app.get("/", async (c) => c.json({ keys: (await s.store.listApiKeys()).map(view) }));

  app.delete("/:id", async (c) => {
    const id = c.req.param("id");
    if (!KEY_ID_RE.test(id)) throw badRequest(`invalid key id: must match ${KEY_ID_RE.source}`, { path: "id" });
    if (!(await s.store.deleteApiKey(id))) throw notFound(`key '${id}' not found`);
    return c.json({ deleted: id });
  });
}
