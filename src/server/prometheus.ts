/** `GET /metrics`: engine gauges and request metrics in the Prometheus text format. */
import type { ServerContext } from "./context.js";

export async function prometheusText(s: ServerContext): Promise<string> {
  const e = s.engine;
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number, labels = ""): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`);
  };
  gauge("tributary_live_requests", "Requests not yet finished in this server.", e.requests.size);
  gauge("tributary_live_calls", "Calls pending or running.", e.calls.size);
  gauge("tributary_running_attempts", "Attempts running on executors.", e.attempts.size);
  gauge("tributary_connected_executors", "Executors connected to this server.", [...e.executors.values()].filter((x) => x.link).length);
  lines.push("# HELP tributary_executor_cpu_used CPUs reserved per executor.", "# TYPE tributary_executor_cpu_used gauge");
  for (const x of e.executors.values()) lines.push(`tributary_executor_cpu_used{executor="${x.view.id}"} ${x.view.used.cpu}`);
  return lines.join("\n") + "\n";
}
