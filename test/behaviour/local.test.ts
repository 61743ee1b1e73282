// The behaviour suite through runLocal: once plainly, once with alwaysReplay (as Restate's tests do).
import "./apps.js";
import { runLocal } from "tributary";
import type { LocalRequest } from "tributary/testing";
import { defineBehaviourSuite, type Harness } from "./suite.js";

function localHarness(alwaysReplay: boolean): Harness {
  return {
    name: alwaysReplay ? "runLocal, alwaysReplay" : "runLocal",
    alwaysReplay,
    run: (appName, input) => runLocal(appName, input, { alwaysReplay }),
    metrics: async (req) => (req as LocalRequest).metrics(),
  };
}

defineBehaviourSuite(localHarness(false));
defineBehaviourSuite(localHarness(true));
