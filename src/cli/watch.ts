/**
 * The file watcher of `tributary dev`: one debounced callback per burst of changes under a
 * directory.
 *
 * Invariants: changes under ignored paths (the data directory, node_modules, dot-directories such as
 * .git) never trigger, otherwise the server's own database writes would redeploy in a loop; the
 * callback never runs concurrently with itself: a change during a run schedules exactly one more.
 */
import { watch, type FSWatcher } from "node:fs";
import { relative, resolve, sep } from "node:path";

export interface WatchOptions {
  /** Absolute paths whose subtree is ignored. */
  ignore?: string[];
  debounceMs?: number;
}

/**
 * @example
 * const w = watchDirectory("/app", () => redeploy(), { ignore: ["/app/.tributary"] });
 * w.close();
 */
export function watchDirectory(dir: string, onChange: () => Promise<void>, opts: WatchOptions = {}): { close(): void } {
  const root = resolve(dir);
  const ignore = (opts.ignore ?? []).map((p) => resolve(p));
  const debounceMs = opts.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let closed = false;

  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await onChange().catch(() => {});
      } while (again && !closed);
    } finally {
      running = false;
    }
  };

  const ignored = (file: string): boolean => {
    const abs = resolve(root, file);
    if (ignore.some((p) => abs === p || abs.startsWith(p + sep))) return true;
    return relative(root, abs)
      .split(sep)
      .some((seg) => seg === "node_modules" || (seg.startsWith(".") && seg !== ".." && seg !== "."));
  };

  const watcher: FSWatcher = watch(root, { recursive: true }, (_event, file) => {
    if (closed || (file !== null && ignored(file.toString()))) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), debounceMs);
  });
  watcher.on("error", () => {
    // A vanished subdirectory raises here; dev must keep running, and the watcher stays armed.
  });
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
