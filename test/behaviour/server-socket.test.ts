// The behaviour suite over the containers' socket channel (the OCI backend's channel), run for real
// with Node child processes: the same semantics must hold over it.
import { serverBehaviourSuite } from "./server-harness.js";

serverBehaviourSuite("server + executor, socket channel", { executor: { containerChannel: "socket" } });
