// Applications for the OCI backend test: a nested call, a secret, an image with an env step.
import { application, fn, Image } from "tributary";

const image = new Image({ name: "oci-test" }).env("GREETING", "hello from the image");

const oci_child = fn(
  { image, secrets: ["OCI_TOKEN"], memory: 2, ephemeralDisk: 3 },
  async function oci_child(x: number) {
    return {
      doubled: x * 2,
      greeting: process.env.GREETING ?? null,
      token: process.env.OCI_TOKEN ? "present" : "absent",
      tmp: process.env.TMPDIR ?? null,
      pid: process.pid,
    };
  },
);

export const oci_parent = application(
  fn(async function oci_parent(x: number) {
    const child = await oci_child(x);
    return { ...child, parentPid: process.pid };
  }),
);
