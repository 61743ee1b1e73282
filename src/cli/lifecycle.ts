/**
 * Long-running commands (`dev`, `server`, `executor`) stop cleanly on Ctrl-C or SIGTERM.
 *
 * Invariant: `stop` runs once. A second signal, or a stop that takes longer than the grace period,
 * exits at once, so a wedged shutdown never leaves the terminal hanging.
 */

const GRACE_MS = 15_000;

/**
 * Calls `stop` on the first SIGINT/SIGTERM, then exits with code 0 (1 if stopping failed).
 *
 * @example
 * const server = await createServer(opts);
 * stopOnSignal(() => server.close());
 */
export function stopOnSignal(
  stop: () => Promise<void>,
  log: (s: string) => void = (s) => process.stderr.write(s + "\n"),
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    log("stopping…");
    const force = setTimeout(() => {
      log(`still stopping after ${GRACE_MS / 1000} s: exiting now`);
      process.exit(1);
    }, GRACE_MS);
    force.unref();
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log(`error while stopping: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
