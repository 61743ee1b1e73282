// The container contract on the process backend (not isolated: the isolation clauses do not apply),
// over its fork channel and over the socket channel the OCI backend uses (run here without an
// engine: Node child processes connect back over the Unix socket as an OCI container would).
import { containerContract } from "./suite.js";

containerContract("process backend, fork channel", { executor: { backend: "process" }, isolated: false, skip: false });
containerContract("process backend, socket channel (the oci backend's)", {
  executor: { backend: "process", containerChannel: "socket" },
  isolated: false,
  skip: false,
});
