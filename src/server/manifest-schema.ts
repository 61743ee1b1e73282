/**
 * The deploy body is untrusted input: its manifest is checked field by field before anything is
 * stored, so a hand-made or corrupted deploy gets a 400 naming the field.
 */
import { z } from "zod";
import type { Manifest } from "../core/manifest.js";
import { APPLICATION_ALLOW } from "../core/options.js";

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,255}$/);
const retry = z.object({
  maxRetries: z.number().int().min(0).max(10),
  initialDelay: z.number().min(0),
  delayMultiplier: z.number().min(1),
  maxDelay: z.number().min(0),
});
const imageStep = z.union([
  z.object({ op: z.literal("run"), command: z.string() }),
  z.object({ op: z.literal("env"), key: z.string(), value: z.string() }),
  z.object({ op: z.literal("workdir"), path: z.string() }),
  z.object({ op: z.literal("copy"), src: z.string(), dest: z.string() }),
]);
const fnSpec = z.object({
  name,
  description: z.string(),
  cpu: z.number().min(1).max(8),
  memory: z.number().min(1).max(32),
  ephemeralDisk: z.number().min(2).max(50),
  gpu: z.array(z.string()).nullable(),
  timeout: z.number().min(1).max(172800),
  image: z
    .object({ name: z.string(), baseImage: z.string().nullable(), steps: z.array(imageStep), id: z.string() })
    .nullable(),
  secrets: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
  retries: retry.nullable(),
  region: z.string().nullable(),
  warmContainers: z.number().int().min(0),
  minContainers: z.number().int().min(0),
  maxContainers: z.number().int().min(1).nullable(),
  className: z.string().optional(),
  methodName: z.string().optional(),
  initTimeout: z.number().nullable().optional(),
});
const appSpec = z.object({
  tags: z.record(z.string(), z.string()),
  retries: retry.nullable(),
  region: z.string().nullable(),
  inputDeserializer: z.enum(["json", "structured"]),
  outputSerializer: z.enum(["json", "structured"]),
  allow: z.array(z.enum(APPLICATION_ALLOW)).max(APPLICATION_ALLOW.length).optional(),
});
export const manifestSchema = z.object({
  functions: z.array(fnSpec),
  applications: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/),
        spec: appSpec,
        description: z.string(),
        hasInputSchema: z.boolean(),
        hasOutputSchema: z.boolean(),
        inputJsonSchema: z.unknown().optional(),
        outputJsonSchema: z.unknown().optional(),
        inputFromType: z
          .object({ kind: z.enum(["json", "file"]), optional: z.boolean(), parameter: z.string().max(256) })
          .optional(),
        outputFromType: z.boolean().optional(),
      }),
    )
    .min(1, "the bundle defines no application"),
  classes: z.array(z.object({ name: z.string(), initTimeout: z.number().nullable(), methods: z.array(z.string()) })),
});

export const deployBodySchema = z.object({
  manifest: manifestSchema,
  bundle: z.string().min(1),
  context: z.string().optional(),
});

/** First issue as `path: message`. */
export function firstIssue(e: z.ZodError): { path: string; message: string } {
  const i = e.issues[0]!;
  return {
    path: "$" + i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join(""),
    message: i.message,
  };
}

export type ValidManifest = Manifest;
