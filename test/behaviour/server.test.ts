// The behaviour suite through a real server and executor (the containers' default fork channel).
import { serverBehaviourSuite } from "./server-harness.js";

serverBehaviourSuite("server + executor");
