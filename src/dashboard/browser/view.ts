/**
 * Browser code: a view's lifetime. One view is current at a time; starting a new one closes the
 * old one, which stops its timers and streams, and makes alive() false so its late answers are
 * dropped instead of drawn over the new view.
 */

export interface View {
  /** False once another view started (or this one closed): answers arriving now are stale. */
  alive(): boolean;
  /** Runs `f` when the view closes (stop a timer, close a stream). */
  onClose(f: () => void): void;
  close(): void;
}

let current: View | null = null;

/** Closes the current view and starts a new one. */
export function newView(): View {
  current?.close();
  const closers: (() => void)[] = [];
  let open = true;
  const view: View = {
    alive: () => open && current === view,
    onClose: (f) => {
      closers.push(f);
    },
    close: () => {
      open = false;
      for (const f of closers) {
        try {
          f();
        } catch {
          // already stopped
        }
      }
    },
  };
  current = view;
  return view;
}
