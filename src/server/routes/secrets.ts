/** Secrets: set, list (names only), delete. Values are never returned and never logged. */
import type { Hono } from "hono";
import { z } from "zod";
import { readBody } from "../body.js";
import { ns, type ServerContext } from "../context.js";
import { badRequest, notFound } from "../http-error.js";
import { checkSecretName } from "../names.js";

const body = z.object({ value: z.string().max(64 * 1024) });

export function secretRoutes(app: Hono, s: ServerContext): void {
  app.put("/secrets/:name", async (c) => {
    const name = checkSecretName(c.req.param("name"));
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(await readBody(c, 128 * 1024)));
    } catch {
      throw badRequest('body must be JSON: { "value": "…" }', { path: "$" });
    }
    const r = body.safeParse(parsed);
    if (!r.success) throw badRequest('body must be { "value": string } (at most 64 KiB)', { path: "$.value" });
    await s.store.putSecret({
      namespace: ns(c),
      name,
      ciphertext: s.box.seal(r.data.value),
      updatedAt: s.engine.now(),
    });
    return c.json({ name });
  });

  app.get("/secrets", async (c) => {
    const rows = await s.store.listSecrets(ns(c));
    return c.json({ secrets: rows.map((r) => ({ name: r.name, updated_at: r.updatedAt })) });
  });

  app.delete("/secrets/:name", async (c) => {
    const name = checkSecretName(c.req.param("name"));
    if (!(await s.store.deleteSecret(ns(c), name))) throw notFound(`secret '${name}' not found`);
    return c.json({ deleted: name });
  });
}
