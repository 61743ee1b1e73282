// Applications for the auth tests: one public, one private.
import { application, fn } from "tributary";

export const auth_public = application(
  { allow: ["unauthenticated_requests"] },
  fn(async function auth_public(x?: unknown) {
    return { got: x ?? null };
  }),
);

export const auth_private = application(fn(async function auth_private(x?: unknown) {
  return x ?? null;
}));
