/**
 * `tributary …` entry (bin/tributary.js imports this): runs the program and turns every failure
 * into one `error: …` line on stderr with a non-zero exit code.
 */
import { CommanderError } from "commander";
import { CliError } from "./context.js";
import { buildProgram, describeError } from "./program.js";

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`error: ${describeError(e)}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
  }
}

await main(process.argv);
