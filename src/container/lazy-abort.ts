/**
 * An attempt's abort signal, built only when someone asks for it (`ctx.signal`).
 *
 * Why: most functions never read `ctx.signal`, and an `AbortController` with its `AbortSignal` (an
 * `EventTarget`) was the largest allocation of a trivial run in the container's CPU profile (~4 %
 * of its CPU per call, issue 15).
 *
 * Invariant: observably the same as one controller made when the run starts: a signal read after
 * the abort is already aborted with the abort's reason; one read before it is aborted with it.
 */
export class LazyAbort {
  private controller: AbortController | null = null;
  private abortReason: unknown = undefined;
  private isAborted = false;

  /** The signal user code sees (made on first read). */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  /** Aborts once (later calls are ignored, as `AbortController.abort` ignores them). */
  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}
