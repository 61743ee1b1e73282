/**
 * Connection URLs carry passwords (`postgres://user:secret@db/…`); every error message and log line
 * that repeats a URL the user gave goes through `redactUrl` first.
 */

/**
 * The URL with the password of its `user:password@` part replaced by `***`.
 *
 * @example
 * redactUrl("postgres://app:s3cret@db:5432/x"); // "postgres://app:***@db:5432/x"
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
