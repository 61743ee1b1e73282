/** Validation of names that arrive in URL paths: hostile names get a 400, never a file path. */
import { badRequest } from "./http-error.js";

export const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const APP_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const SECRET_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function check(re: RegExp, what: string, v: string | undefined): string {
  if (v === undefined || !re.test(v))
    throw badRequest(`invalid ${what} ${JSON.stringify(v ?? "")}: must match ${re.source}`, { path: what });
  return v;
}

export const checkNamespace = (v: string | undefined): string => check(NAMESPACE_RE, "namespace", v);
export const checkAppName = (v: string | undefined): string => check(APP_RE, "application", v);
export const checkRequestId = (v: string | undefined): string => check(ID_RE, "request id", v);
export const checkScheduleId = (v: string | undefined): string => check(ID_RE, "schedule id", v);
export const checkSecretName = (v: string | undefined): string => check(SECRET_RE, "secret name", v);

/**
 * 400 when a segment of the path (a namespace, application, request id or secret name) is longer
 * than `max` characters, before any route looks it up.
 */
export function checkPathNameLengths(path: string, max: number): void {
  for (const seg of path.split("/")) {
    if (seg.length > max)
      throw badRequest(
        `a name in the path is ${seg.length} characters long; this server allows at most ${max} (--max-name-length)`,
        { path: "path" },
      );
  }
}
