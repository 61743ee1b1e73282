/**
 * Puts schemas derived from handler types (derive.ts) into a manifest, for the applications that
 * declare none, and words the notices deploy prints. An explicit `input` / `output` schema always
 * wins: derived ones only fill gaps.
 */
import type { Manifest } from "../../core/manifest.js";
import type { DerivedTypes } from "./derive.js";

/**
 * Fills `manifest` in place; returns one notice per application whose input stays unchecked (or has
 * a parameter the input never reaches).
 *
 * @example
 * const notices = applyDerivedTypes(manifest, { greet: "greet" }, deriveTypes("app.ts"));
 * // manifest.applications[0].inputJsonSchema → { type: "string", … }; notices → []
 */
export function applyDerivedTypes(
  manifest: Manifest,
  exportNames: Record<string, string>,
  types: Map<string, DerivedTypes>,
): string[] {
  const notices: string[] = [];
  for (const app of manifest.applications) {
    const exportName = exportNames[app.name];
    const d = exportName !== undefined ? types.get(exportName) : undefined;
    const say = (text: string): void => void notices.push(`application ${app.name}: ${text}`);
    if (!app.hasInputSchema) {
      if (!d)
        say(
          "its handler is not exported from the entry file, so its input is not checked (export it, or give it an input schema)",
        );
      else if (d.input) {
        app.inputFromType = { kind: d.input.kind, optional: d.input.optional, parameter: d.input.parameter };
        if (d.input.kind === "json") app.inputJsonSchema = d.input.schema;
      } else if (d.inputProblem) say(d.inputProblem);
      if (d?.extraParameterProblem) say(d.extraParameterProblem);
    }
    if (!app.hasOutputSchema && d?.output) {
      app.outputJsonSchema = d.output;
      app.outputFromType = true;
    }
  }
  return notices;
}
