// The container contract on the sandbox backend (isolated: every clause applies).
import { sandboxSkipReason } from "../helpers/sandbox.js";
import { containerContract } from "./suite.js";

containerContract("sandbox backend", {
  executor: { backend: "sandbox" },
  isolated: true,
  skip: await sandboxSkipReason(),
});
