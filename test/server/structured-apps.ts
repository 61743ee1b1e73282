/**
 * Applications whose input and output use the `structured` serializer, for the boundary test: a
 * client speaks plain `v8.serialize` / `v8.deserialize` to them.
 */
import { application, File, fn } from "tributary";

/** Describes what arrived, so the test sees the types the function saw, and echoes it back. */
export const st_echo = application(
  { inputDeserializer: "structured", outputSerializer: "structured" },
  fn(async function st_echo(v: {
    tags: Set<string>;
    counts: Map<string, bigint>;
    when: Date;
    bytes: Uint8Array;
    self?: unknown;
  }) {
    return {
      echo: v,
      saw: {
        set: v.tags instanceof Set,
        map: v.counts instanceof Map,
        bigint: typeof v.counts.get("big") === "bigint",
        date: v.when instanceof Date,
        bytes: v.bytes instanceof Uint8Array,
        cycle: v.self === v,
      },
    };
  }),
);

/** A structured output holding a nested File. */
export const st_file = application(
  { outputSerializer: "structured" },
  fn(async function st_file() {
    return { report: new File("hello", "text/plain"), pages: 2 };
  }),
);
