import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { envMs, envSetting } from "./env-ms.js";

describe("envMs", () => {
  it("reads whole milliseconds in range; unset or empty is the default", () => {
    assert.equal(envMs("X_MS", 0, 10, { X_MS: "7" }), 7);
    assert.equal(envMs("X_MS", 0, 10, { X_MS: " 10 " }), 10);
    assert.equal(envMs("X_MS", 0, 10, {}), undefined);
    assert.equal(envMs("X_MS", 0, 10, { X_MS: "" }), undefined);
  });

  it("refuses a typo or a value out of range, naming the variable and the range", () => {
    for (const bad of ["abc", "15s", "-5", "1.5", "11"])
      assert.throws(
        () => envMs("X_MS", 0, 10, { X_MS: bad }),
        new RegExp(`^Error: X_MS="${bad}" is invalid: expected an integer from 0 to 10 \\(milliseconds\\)$`),
      );
  });

  it("gives the lease the range of --lease-ms", () => {
    assert.throws(() => envSetting("TRIBUTARY_LEASE_MS", { TRIBUTARY_LEASE_MS: "10" }), /from 1000 to 3600000/);
    assert.equal(envSetting("TRIBUTARY_LEASE_MS", { TRIBUTARY_LEASE_MS: "2000" }), 2000);
  });
});
