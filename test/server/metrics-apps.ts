// Applications for the Prometheus export test: user counters and timers, in a root and a child.
import { application, fn, RequestContext } from "tributary";

const metrics_child = fn(async function metrics_child(n: number) {
  const m = RequestContext.get().metrics;
  m.counter("items_processed", n);
  m.timer("processing_time", 0.5);
  return n;
});

export const metrics_app = application(
  fn(async function metrics_app(n: number) {
    const m = RequestContext.get().metrics;
    m.counter("items_processed", 1);
    m.counter("items_processed", 2);
    m.timer("processing_time", 0.25);
    // Names Prometheus forbids, and a label-breaking one: sanitised, never a broken line.
    m.counter('weird name/"x"\n', 7);
    m.counter("tributary_live_requests", 1);
    return metrics_child(n);
  }),
);
