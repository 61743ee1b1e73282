// The behaviour suite on the sandbox backend (bubblewrap namespaces, unprivileged, kernel limits):
// the same semantics must hold inside the sandbox. Skipped, with the reason, where none is possible.
import { test } from "node:test";
import { sandboxSkipReason } from "../helpers/sandbox.js";
import { serverBehaviourSuite } from "./server-harness.js";

const skip = await sandboxSkipReason();
if (!skip) serverBehaviourSuite("server + executor, sandbox backend", { executor: { backend: "sandbox" } });
else test("behaviour on the sandbox backend", { skip }, () => {});
