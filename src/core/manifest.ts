/**
 * The deployment manifest: what a bundle defines, extracted at deploy time and stored with the
 * application version. The server places calls from it without loading user code.
 */
import type { ApplicationSpec, FunctionSpec } from "./options.js";
import { registry } from "./registry.js";
import { jsonSchemaOf } from "./schema.js";

export interface ManifestApplication {
  /** The application name = its entry function's name. */
  name: string;
  spec: ApplicationSpec;
  description: string;
  hasInputSchema: boolean;
  hasOutputSchema: boolean;
  inputJsonSchema?: unknown;
  outputJsonSchema?: unknown;
  /**
   * Set by deploy when the application has no `input` schema and its handler's first parameter has
   * a type JSON Schema can express (DESIGN.md §1): the input is JSON described by `inputJsonSchema`,
   * or a `File` (raw bytes); `optional` when no input (an empty body) is allowed too. Absent: the
   * input is not checked.
   */
  inputFromType?: InputFromType;
  /** True when `outputJsonSchema` was derived from the handler's return type (no `output` schema). */
  outputFromType?: boolean;
}

/** The request input an application's handler type asks for (see `ManifestApplication.inputFromType`). */
export interface InputFromType {
  kind: "json" | "file";
  optional: boolean;
  /** The parameter's name in the handler, for messages. */
  parameter: string;
}

export interface ManifestClass {
  name: string;
  initTimeout: number | null;
  methods: string[];
}

export interface Manifest {
  functions: FunctionSpec[];
  applications: ManifestApplication[];
  classes: ManifestClass[];
}

/** Reads the manifest of everything registered in this process. */
export function buildManifest(): Manifest {
  const r = registry();
  const functions: FunctionSpec[] = [];
  const applications: ManifestApplication[] = [];
  for (const e of r.functions.values()) {
    functions.push(e.spec);
    if (e.app) {
      const inputJsonSchema = jsonSchemaOf(e.app.input, "input");
      const outputJsonSchema = jsonSchemaOf(e.app.output, "output");
      applications.push({
        name: e.spec.name,
        spec: e.app.spec,
        description: e.spec.description,
        hasInputSchema: !!e.app.input,
        hasOutputSchema: !!e.app.output,
        ...(inputJsonSchema !== undefined ? { inputJsonSchema } : {}),
        ...(outputJsonSchema !== undefined ? { outputJsonSchema } : {}),
      });
    }
  }
  const classes = [...r.classes.values()].map((c) => ({
    name: c.name,
    initTimeout: c.initTimeout,
    methods: [...c.methods],
  }));
  return { functions, applications, classes };
}
