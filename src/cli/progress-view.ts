/**
 * The live view of `tributary run`: an overall bar for the request (its progress aggregated over
 * the call tree, in percent) above one progress bar per running function call, fed by the
 * request's event stream.
 *
 * A bar appears when an attempt starts and disappears when it ends; `progress` events set its
 * current/total/message. On a terminal the bars redraw in place (cli-progress, on stderr so stdout
 * stays the output); elsewhere only start, failure and finish lines are printed, because thousands
 * of progress updates would flood a log file.
 */
import cliProgress from "cli-progress";
import type { RequestEvent } from "../core/request.js";

interface Bar {
  bar: cliProgress.SingleBar;
  total: number;
}

/**
 * @example
 * const view = new ProgressView(process.stderr);
 * for await (const ev of req.progress()) view.onEvent(ev);
 * view.stop();
 */
export class ProgressView {
  private readonly multi: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, Bar>();
  /** The request's overall bar, made on its first progress update. */
  private overall: cliProgress.SingleBar | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.multi = out.isTTY
      ? new cliProgress.MultiBar(
          {
            stream: out,
            format: "{fn} |{bar}| {value}/{total} {message}",
            hideCursor: true,
            clearOnComplete: true,
            autopadding: true,
            barsize: 24,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  }

  onEvent(ev: RequestEvent): void {
    const key = ev.callId ?? ev.functionName ?? "request";
    const fn = ev.functionName ?? "request";
    const data = ev.data ?? {};
    switch (ev.kind) {
      case "attempt:started": {
        const label = ev.attempt && ev.attempt > 1 ? `${fn} (attempt ${ev.attempt})` : fn;
        this.remove(key);
        if (this.multi) this.bars.set(key, { bar: this.multi.create(1, 0, { fn: label, message: "" }), total: 1 });
        else this.line(`started ${label}`);
        break;
      }
      case "progress": {
        const fraction = num(ev.fraction);
        if (this.multi && fraction !== undefined) {
          this.overall ??= this.multi.create(100, 0, { fn: "request", message: "%" });
          this.overall.update(Math.round(fraction * 100), { message: "%" });
        }
        const current = num(data.current);
        const total = num(data.total);
        const message = typeof data.message === "string" ? data.message : "";
        const b = this.bars.get(key);
        if (b && total !== undefined && current !== undefined) {
          if (total !== b.total && total > 0) {
            b.bar.setTotal(total);
            b.total = total;
          }
          b.bar.update(Math.min(current, b.total), { message });
        }
        break;
      }
      case "attempt:failed": {
        this.remove(key);
        const reason = typeof data.reason === "string" ? data.reason : "failed";
        const err = data.error as { message?: unknown } | undefined;
        this.line(
          `${fn} attempt ${ev.attempt ?? "?"} failed: ${reason}${typeof err?.message === "string" ? `: ${err.message}` : ""}`,
        );
        break;
      }
      case "attempt:succeeded":
      case "call:finished":
        if (this.bars.has(key) || !this.multi) {
          this.remove(key);
          if (!this.multi && ev.kind === "call:finished")
            this.line(`finished ${fn}: ${typeof data.status === "string" ? data.status : "done"}`);
        }
        break;
      default:
        break;
    }
  }

  /** Removes every bar and restores the cursor. */
  stop(): void {
    for (const key of [...this.bars.keys()]) this.remove(key);
    if (this.overall) this.multi?.remove(this.overall);
    this.multi?.stop();
  }

  private remove(key: string): void {
    const b = this.bars.get(key);
    if (!b) return;
    this.bars.delete(key);
    this.multi?.remove(b.bar);
  }

  private line(text: string): void {
    if (this.multi) this.multi.log(text + "\n");
    else this.out.write(text + "\n");
  }
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
