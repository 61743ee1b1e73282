/**
 * `tributary executor --server URL[,URL…] [--token T] [--region R] [--cpu N] [--memory GB]
 *                     [--disk GB] [--gpu MODEL:N]… [--label k=v]… [--data DIR]
 *                     [--backend sandbox|process|oci]`
 *
 * Capacity flags declare what this machine offers; unset ones are measured by the executor. Paths
 * (`--data`, image directories, image `copy` sources) are relative to the working directory.
 */
import { Command } from "commander";
import type { ContainerBackend } from "../executor/backends/kinds.js";
import {
  BACKEND_HELP,
  backendKind,
  collect,
  collectGpu,
  collectLabel,
  credential,
  credentialSetting,
  IMAGE_HELP,
  positiveNumber,
  urlList,
} from "./options.js";
import { stopOnSignal } from "./lifecycle.js";
import { imageFlag, pathFlag } from "./paths.js";

interface ExecutorFlags {
  server: string[];
  token?: string;
  region?: string;
  cpu?: number;
  memory?: number;
  disk?: number;
  gpu?: Record<string, number>;
  label?: Record<string, string>;
  data: string;
  backend?: ContainerBackend;
  image?: string[];
}

export function executorCommand(): Command {
  return new Command("executor")
    .description("run an executor: leases function calls from the servers and runs their containers")
    .requiredOption("--server <urls>", "server URL(s), comma-separated", urlList)
    .option("--token <token>", "executor token the servers expect (default: $TRIBUTARY_EXECUTOR_TOKEN)", credential)
    .option("--region <region>", "region this executor serves")
    .option("--cpu <n>", "CPUs to offer", positiveNumber)
    .option("--memory <gb>", "memory to offer, GB", positiveNumber)
    .option("--disk <gb>", "ephemeral disk to offer, GB", positiveNumber)
    .option("--gpu <model:n>", "GPUs to offer, e.g. H100:8 (repeatable)", collectGpu)
    .option("--label <k=v>", "a label for placement (repeatable)", collectLabel)
    .option("--data <dir>", "working directory for images and containers", ".tributary/executor")
    .option("--image <ref>", `${IMAGE_HELP}; the oci backend provides any`, collect)
    .option("--backend <kind>", BACKEND_HELP, backendKind)
    .action(async (flags: ExecutorFlags) => {
      const token = credentialSetting(flags.token, "--token", "TRIBUTARY_EXECUTOR_TOKEN");
      const { createExecutor } = await import("../executor/index.js");
      let stop = async (): Promise<void> => {};
      // Set as soon as createExecutor returns: a welcome comes from the network, never before that.
      let id = "";
      const executor = await createExecutor({
        servers: flags.server,
        token: token?.value,
        tokenSource: token?.source,
        region: flags.region,
        cpu: flags.cpu,
        memory: flags.memory,
        disk: flags.disk,
        gpus: flags.gpu,
        labels: flags.label,
        // Absolute: each container runs in its own directory, where a relative path names nothing.
        dataDir: pathFlag(flags.data),
        backend: flags.backend,
        images: flags.image?.map((i) => imageFlag(i)),
        onRefused: (reason) => {
          // Not a retryable fault: the same token will be refused again, so say why and stop.
          process.stderr.write(`error: ${reason}\n`);
          void stop().finally(() => process.exit(1));
        },
        // Only once a server accepted the token and welcomed us: a refused executor never says it serves.
        onServing: () => process.stdout.write(`executor ${id} serving ${flags.server.join(", ")}\n`),
      });
      stop = () => executor.stop();
      id = executor.id;
      stopOnSignal(() => executor.stop());
    });
}
