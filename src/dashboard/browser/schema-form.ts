/**
 * Browser code: form fields generated from an application's input JSON Schema (as deploy derived
 * it, read from its OpenAPI document). An object's properties become one field each — text for a
 * string, a number field for a number or integer, a checkbox for a boolean, a select for an enum of
 * plain values — and anything else (arrays, unions, nested objects) a raw JSON textarea. A schema
 * that is not an object gets one field for the whole input. Reading the form gives the input value
 * or throws a FieldError naming the field, before anything is sent; the server checks the schema.
 */
import { h } from "./dom.js";

/** The part of JSON Schema (2020-12) the form reads; everything else is left to the server. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
}

/** A value the form cannot turn into input, with the field it is in. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "FieldError";
  }
}

/** Marks "leave this property out of the input" (an optional field left empty). */
export const OMIT: unique symbol = Symbol("omit");

export interface Field {
  /** The label and control (a `<div class="field">`). */
  el: HTMLElement;
  /** The control, for focus. */
  control: HTMLElement;
  /** The value, or OMIT; throws FieldError for what is not one. */
  read(): unknown;
}

type Primitive = string | number | boolean | null;

function isPrimitive(v: unknown): v is Primitive {
  return v === null || ["string", "number", "boolean"].includes(typeof v);
}

function fieldBox(label: string, id: string, control: HTMLElement, s: JsonSchema, hint: string): HTMLElement {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    h("span", { class: "muted hint" }, [s.description, hint].filter(Boolean).join(" · ")),
  );
}

/** The field for one value: `name` labels it (and names it in errors), `optional` allows empty. */
export function fieldFor(name: string, id: string, s: JsonSchema, optional: boolean): Field {
  const need = (): never => {
    throw new FieldError(name, "a value is required");
  };
  const hasDefault = s.default !== undefined;
  if (s.enum?.length && s.enum.every(isPrimitive)) {
    const values = s.enum;
    const select = h(
      "select",
      { id, name },
      optional ? h("option", { value: "" }, "(none)") : null,
      values.map((v, i) => h("option", { value: String(i) }, typeof v === "string" ? v : JSON.stringify(v))),
    );
    const at = hasDefault ? values.findIndex((v) => v === s.default) : -1;
    if (at >= 0) select.value = String(at);
    const read = () => (select.value === "" ? OMIT : values[Number(select.value)]);
    return { el: fieldBox(name, id, select, s, "one of the listed values"), control: select, read };
  }
  switch (s.type) {
    case "string": {
      const input = h("input", { id, name, type: "text", autocomplete: "off", size: 40 });
      if (typeof s.default === "string") input.value = s.default;
      // An empty required string is a valid string: only an optional one is left out when empty.
      const read = () => (optional && input.value === "" ? OMIT : input.value);
      return { el: fieldBox(name, id, input, s, optional ? "string, optional" : "string"), control: input, read };
    }
    case "number":
    case "integer": {
      const integer = s.type === "integer";
      const input = h("input", { id, name, type: "number", step: integer ? "1" : "any" });
      if (typeof s.default === "number") input.value = String(s.default);
      const read = (): unknown => {
        if (input.value.trim() === "") return optional ? OMIT : need();
        const n = Number(input.value);
        if (!Number.isFinite(n)) throw new FieldError(name, "not a number");
        if (integer && !Number.isInteger(n)) throw new FieldError(name, "must be an integer");
        return n;
      };
      const hint = `${integer ? "integer" : "number"}${optional ? ", optional" : ""}`;
      return { el: fieldBox(name, id, input, s, hint), control: input, read };
    }
    case "boolean": {
      if (!optional) {
        const box = h("input", { id, name, type: "checkbox" });
        box.checked = s.default === true;
        return { el: fieldBox(name, id, box, s, "true when checked"), control: box, read: () => box.checked };
      }
      // An optional boolean has three answers: a checkbox could not say "leave it out".
      const select = h(
        "select",
        { id, name },
        h("option", { value: "" }, "(none)"),
        h("option", { value: "true" }, "true"),
        h("option", { value: "false" }, "false"),
      );
      if (typeof s.default === "boolean") select.value = String(s.default);
      const read = () => (select.value === "" ? OMIT : select.value === "true");
      return { el: fieldBox(name, id, select, s, "boolean, optional"), control: select, read };
    }
    default:
      return jsonField(name, id, s, optional);
  }
}

/** The fallback: a textarea holding the value as JSON. */
export function jsonField(name: string, id: string, s: JsonSchema, optional: boolean): Field {
  const area = h("textarea", { id, name, rows: 4, cols: 60, spellcheck: "false", class: "mono" });
  if (s.default !== undefined) area.value = JSON.stringify(s.default, null, 2);
  const read = (): unknown => {
    if (area.value.trim() === "") {
      if (optional) return OMIT;
      throw new FieldError(name, "a JSON value is required");
    }
    try {
      return JSON.parse(area.value) as unknown;
    } catch (e) {
      throw new FieldError(name, `not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  const what = Array.isArray(s.type) ? s.type.join(" | ") : (s.type ?? "any value");
  return { el: fieldBox(name, id, area, s, `JSON: ${what}${optional ? ", optional" : ""}`), control: area, read };
}

/** The schema's top level as fields: an object's properties, or one field for the whole input. */
export interface SchemaForm {
  fields: HTMLElement[];
  /** The input value, or OMIT for "send no input"; throws FieldError. */
  read(): unknown;
  /** The first field's control, for focus. */
  first: HTMLElement | null;
}

/**
 * @example
 * const form = schemaForm({ type: "object", properties: { n: { type: "number" } }, required: ["n"] }, false);
 * form.read(); // { n: 3 } once the field holds 3
 */
export function schemaForm(schema: JsonSchema | undefined, optional: boolean): SchemaForm {
  const s = schema ?? {};
  if (s.type === "object" && s.properties && Object.keys(s.properties).length > 0) {
    const required = new Set(s.required ?? []);
    const fields = Object.entries(s.properties).map(
      ([name, p], i) => [name, fieldFor(name, `input-${i}`, p, !required.has(name))] as const,
    );
    return {
      fields: fields.map(([, f]) => f.el),
      first: fields[0]?.[1].control ?? null,
      read: () => {
        const value: Record<string, unknown> = {};
        for (const [name, f] of fields) {
          const v = f.read();
          if (v !== OMIT) value[name] = v;
        }
        // An optional input left wholly empty is no input at all.
        return optional && Object.keys(value).length === 0 ? OMIT : value;
      },
    };
  }
  const f = fieldFor("input", "input-0", s, optional);
  return { fields: [f.el], first: f.control, read: () => f.read() };
}
