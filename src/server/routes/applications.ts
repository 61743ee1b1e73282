/** Deploy, list, get, delete applications; their OpenAPI document. */
import type { Hono } from "hono";
import type { ApplicationList, DeployResponse } from "../../core/api.js";
import { ns, type ServerContext } from "../context.js";
import { readBody } from "../body.js";
import { badRequest, notFound } from "../http-error.js";
import { deployBodySchema, firstIssue } from "../manifest-schema.js";
import { checkAppName } from "../names.js";
import { appDetail, appSummary } from "../views.js";
import { openApiFor } from "../openapi.js";
import type { Manifest } from "../../core/manifest.js";
import { decodeContext, MAX_CONTEXT_BYTES } from "../../core/build-context.js";

/** The deploy's build context, checked (size, format, safe paths) before anything is stored. */
function buildContext(base64: string): Uint8Array {
  const bytes = Buffer.from(base64, "base64");
  let size = 0;
  try {
    for (const e of decodeContext(bytes)) size += e.data?.byteLength ?? 0;
  } catch (e) {
    throw badRequest((e as Error).message, { path: "$.context" });
  }
  if (size > MAX_CONTEXT_BYTES)
    throw badRequest(
      `build context holds ${size} bytes, more than the ${MAX_CONTEXT_BYTES}-byte limit (Image.copy sources)`,
      {
        path: "$.context",
      },
    );
  return bytes;
}

export function applicationRoutes(app: Hono, s: ServerContext): void {
  app.post("/applications", async (c) => {
    const namespace = ns(c);
    const raw = await readBody(c, s.limits.maxDeployBytes);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(raw));
    } catch (e) {
      throw badRequest(`deploy body is not valid JSON: ${(e as Error).message}`, { path: "$" });
    }
    const parsed = deployBodySchema.safeParse(json);
    if (!parsed.success) {
      const i = firstIssue(parsed.error);
      throw badRequest(`invalid deploy body at ${i.path}: ${i.message}`, { path: i.path });
    }
    const manifest = parsed.data.manifest as Manifest;
    await checkDeployable(s, namespace, manifest);
    const bundle = Buffer.from(parsed.data.bundle, "base64");
    if (bundle.byteLength === 0) throw badRequest("bundle is empty", { path: "$.bundle" });
    const context = parsed.data.context === undefined ? null : buildContext(parsed.data.context);
    const applications = await s.engine.deploy(namespace, manifest, bundle, context);
    return c.json({ applications } satisfies DeployResponse);
  });

  app.get("/applications", async (c) => {
    const rows = await s.store.listApplications(ns(c));
    return c.json({ applications: rows.map(appSummary) } satisfies ApplicationList);
  });

  app.get("/applications/:app", async (c) => {
    const name = checkAppName(c.req.param("app"));
    const row = await s.store.getApplication(ns(c), name);
    if (!row) throw notFound(`application '${name}' not found`);
    return c.json(appDetail(row));
  });

  app.delete("/applications/:app", async (c) => {
    const name = checkAppName(c.req.param("app"));
    if (!(await s.engine.deleteApplication(ns(c), name))) throw notFound(`application '${name}' not found`);
    return c.json({ deleted: name });
  });

  app.get("/applications/:app/openapi.json", async (c) => {
    const name = checkAppName(c.req.param("app"));
    const row = await s.store.getApplication(ns(c), name);
    if (!row) throw notFound(`application '${name}' not found`);
    return c.json(openApiFor(ns(c), row));
  });
}

/** Rejects a manifest naming an unknown region or secret, with the name. Nothing is stored before. */
async function checkDeployable(s: ServerContext, namespace: string, m: Manifest): Promise<void> {
  const max = s.limits.maxNameLength;
  m.functions.forEach((f, i) => {
    if (f.name.length > max)
      throw badRequest(
        `function name '${f.name.slice(0, 40)}…' is ${f.name.length} characters; this server allows at most ${max} (--max-name-length)`,
        { path: `$.manifest.functions[${i}].name` },
      );
  });
  m.applications.forEach((a, i) => {
    if (a.name.length > max)
      throw badRequest(
        `application name '${a.name.slice(0, 40)}…' is ${a.name.length} characters; this server allows at most ${max} (--max-name-length)`,
        { path: `$.manifest.applications[${i}].name` },
      );
  });
  const names = new Set(m.functions.map((f) => f.name));
  m.functions.forEach((f, i) => {
    if (f.region !== null && !s.regions.includes(f.region)) {
      throw badRequest(
        `function '${f.name}' asks for region '${f.region}', which this server does not have (regions: ${s.regions.join(", ")})`,
        { path: `$.manifest.functions[${i}].region` },
      );
    }
  });
  m.applications.forEach((a, i) => {
    if (!names.has(a.name))
      throw badRequest(`application '${a.name}' has no function of that name`, {
        path: `$.manifest.applications[${i}].name`,
      });
    if (a.spec.region !== null && !s.regions.includes(a.spec.region)) {
      throw badRequest(`application '${a.name}' asks for region '${a.spec.region}', which this server does not have`, {
        path: `$.manifest.applications[${i}].spec.region`,
      });
    }
  });
  for (const f of m.functions) {
    for (const secret of f.secrets) {
      if (!(await s.store.getSecret(namespace, secret))) {
        throw badRequest(
          `function '${f.name}' needs secret '${secret}', which is not set (tributary secrets set ${secret} …)`,
          { path: "secrets", secret },
        );
      }
    }
  }
}
