// Applications for the auth tests: one public, one private.
import { application, fn, RequestContext } from "tributary";

export const auth_public = application(
  { allow: ["unauthenticated_requests"] },
  fn(async function auth_public(x?: unknown) {
    return { got: x ?? null };
  }),
);

export const auth_private = application(
  fn(async function auth_private(x?: unknown) {
    return x ?? null;
  }),
);

const headersSeenByChild = fn(async function auth_headers_child() {
  return RequestContext.get().headers.get("x-tenant");
});

/** Returns what it sees of ctx.headers, in itself and in a child call, and whether mutators throw. */
export const auth_headers = application(
  fn(async function auth_headers() {
    const h = RequestContext.get().headers;
    const refused: string[] = [];
    for (const mutate of [() => h.set("x-tenant", "evil"), () => h.append("x-new", "1"), () => h.delete("x-tenant")]) {
      try {
        mutate();
      } catch (e) {
        refused.push((e as Error).name);
      }
    }
    return {
      headers: [...h],
      refused,
      child: await headersSeenByChild(),
      again: RequestContext.get().headers.get("x-tenant"),
    };
  }),
);
