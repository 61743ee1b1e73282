/**
 * Deploy-time schemas from types (DESIGN.md §1 "Input types without a schema"): for every
 * application of an entry file, the JSON Schema of its handler's first parameter (the request input)
 * and of its awaited return type (the output), read with the TypeScript compiler from the source
 * the bundle was built from.
 *
 * Decisions:
 * - The input is the handler's first parameter: the runtime passes the request input as the only
 *   argument. Parameters after the first never receive anything from an HTTP request; a required
 *   one is reported. A rest first parameter (`...xs: T[]`) receives the input as `xs[0]`, so its
 *   schema is `T`.
 * - An optional (`x?`), defaulted (`x = …`) or `undefined`-accepting parameter makes the input
 *   optional: an empty body is allowed. No parameter, or an `unknown` / `any` one: nothing is
 *   derived (any input, JSON or a file, reaches the handler as before).
 * - A `File` parameter means the input is raw bytes of any content type (no JSON Schema).
 * - A type JSON Schema cannot express leaves the input unchecked, with a notice naming the
 *   application and the parameter. So does a handler the source does not let us find.
 * - A JSDoc `@example` on the handler or its export (JSON text) becomes the schema's `examples`,
 *   which `tributary dev` uses for the sample body of its curl lines.
 */
import { dirname } from "node:path";
import ts from "typescript";
import { includesUndefined, typeToJsonSchema, UnexpressibleType, type JsonSchema } from "./type-to-json-schema.js";

/** What a handler's types say about the input and output of the application exported with it. */
export interface DerivedTypes {
  /** The input: JSON described by `schema`, or a `File`. Absent: nothing derived (see `inputProblem`). */
  input?:
    | { kind: "json"; schema: JsonSchema; optional: boolean; parameter: string }
    | { kind: "file"; optional: boolean; parameter: string };
  /** Why the input has no schema although the handler takes one (a type JSON Schema cannot express). */
  inputProblem?: string;
  /** A required parameter after the first, which the request input never reaches. */
  extraParameterProblem?: string;
  /** The JSON Schema of the awaited return type, when it has one. */
  output?: JsonSchema;
}

/**
 * Reads `entryPath` with the TypeScript compiler and derives the types of every exported handler
 * (`application(fn(handler))`, `fn(handler)`, a plain function), by export name.
 *
 * @example
 * const types = deriveTypes("app.ts", { tributary: "/…/dist/src/index.d.ts" });
 * types.get("greet")?.input; // { kind: "json", schema: { type: "string", … }, optional: false, parameter: "data" }
 */
export function deriveTypes(entryPath: string, modulePaths: Record<string, string> = {}): Map<string, DerivedTypes> {
  const options: ts.CompilerOptions = {
    // strict: optional and `undefined` members must stay visible in the types we read.
    strict: true,
    target: ts.ScriptTarget.ES2022,
    // The language's library only: not the DOM's, and no global @types packages (Node's alone would
    // triple the time to read a small program). A module the user imports (`node:os`) still resolves
    // through the import; a parameter typed with an undeclared global stays unchecked, with a notice.
    lib: ["lib.es2023.d.ts"],
    types: [],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowJs: true,
    skipLibCheck: true,
    noEmit: true,
    baseUrl: dirname(entryPath),
    paths: Object.fromEntries(Object.entries(modulePaths).map(([k, v]) => [k, [v]])),
  };
  const program = ts.createProgram({ rootNames: [entryPath], options, host: cachingHost(options) });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entryPath);
  const moduleSymbol = source ? checker.getSymbolAtLocation(source) : undefined;
  const out = new Map<string, DerivedTypes>();
  for (const exported of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
    const handler = handlerOf(checker, exported);
    if (handler) out.set(exported.getName(), deriveOne(checker, handler, exported));
  }
  return out;
}

/**
 * Parsed declaration files of libraries (TypeScript's own lib, anything under node_modules, the
 * SDK's .d.ts) by path. They do not change while a process runs, and parsing them is most of the
 * cost of a program, so `tributary dev` redeploys and test processes that deploy often pay it once.
 * The user's own files are always read afresh.
 */
const libraryFiles = new Map<string, ts.SourceFile>();
const LIBRARY = /[\\/]node_modules[\\/]|\.d\.ts$/;

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!LIBRARY.test(fileName)) return read(fileName, languageVersion, onError, shouldCreate);
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    let file = libraryFiles.get(key);
    if (!file) {
      file = read(fileName, languageVersion, onError, shouldCreate);
      if (file) libraryFiles.set(key, file);
    }
    return file;
  };
  return host;
}

function deriveOne(checker: ts.TypeChecker, handler: ts.SignatureDeclaration, exported: ts.Symbol): DerivedTypes {
  const out: DerivedTypes = {};
  const signature = checker.getSignatureFromDeclaration(handler);
  if (signature) {
    try {
      out.output = typeToJsonSchema(
        checker,
        checker.getAwaitedType(signature.getReturnType()) ?? signature.getReturnType(),
      );
    } catch (e) {
      if (!(e instanceof UnexpressibleType)) throw e;
    }
  }
  const [first, ...others] = handler.parameters;
  const extra = others.find((p) => !p.questionToken && !p.initializer && !p.dotDotDotToken);
  if (extra)
    out.extraParameterProblem = `parameter '${extra.name.getText()}' is required, but only the first parameter receives the request input`;
  if (!first) return out;
  const parameter = first.name.getText();
  let type = checker.getTypeAtLocation(first);
  // `count = 3` inside fn(...) is contextually `any`; the initializer says what the author meant.
  if (!first.type && first.initializer)
    type = checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(first.initializer));
  if (first.dotDotDotToken) type = checker.getTypeArguments(type as ts.TypeReference)[0] ?? checker.getAnyType();
  // `unknown` / `any` (and untyped JavaScript) accept every input, a File included: no contract.
  if (
    type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) &&
    (type as { intrinsicName?: string }).intrinsicName !== "error"
  )
    return out;
  const optional = !!first.questionToken || !!first.initializer || !!first.dotDotDotToken || includesUndefined(type);
  const nonNullable = checker.getNonNullableType(type);
  if (nonNullable.getSymbol()?.getName() === "File") return { ...out, input: { kind: "file", optional, parameter } };
  try {
    const schema = typeToJsonSchema(checker, type);
    const tags = jsDocTags(handler, exported);
    const description = tags
      .filter(ts.isJSDocParameterTag)
      .filter((t) => t.name.getText() === parameter)
      .map((t) => ts.getTextOfJSDocComment(t.comment)?.replace(/^-\s*/, "").trim())
      .find(Boolean);
    if (description) schema.description = description;
    const example = exampleOf(tags);
    if (example !== undefined) schema.examples = [example];
    out.input = { kind: "json", schema, optional, parameter };
  } catch (e) {
    if (!(e instanceof UnexpressibleType)) throw e;
    out.inputProblem = `parameter '${parameter}' has type ${checker.typeToString(type)}; ${e.message}, so its input is not checked`;
  }
  return out;
}

/** The handler function of an exported application: `application(…, fn(…, handler))` and its variants. */
function handlerOf(checker: ts.TypeChecker, symbol: ts.Symbol): ts.SignatureDeclaration | undefined {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const decl = target.valueDeclaration ?? target.declarations?.[0];
  if (!decl) return undefined;
  if (ts.isFunctionDeclaration(decl)) return decl;
  if (ts.isVariableDeclaration(decl) && decl.initializer) return handlerIn(checker, decl.initializer, 0);
  return undefined;
}

function handlerIn(checker: ts.TypeChecker, node: ts.Expression, depth: number): ts.SignatureDeclaration | undefined {
  if (depth > 8) return undefined;
  if (ts.isFunctionExpression(node) || ts.isArrowFunction(node)) return node;
  if (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isNonNullExpression(node)
  ) {
    return handlerIn(checker, node.expression, depth + 1);
  }
  if (ts.isCallExpression(node)) {
    // The handler (or the fn(...) wrapping it) is the last argument of application(...) and fn(...).
    const last = node.arguments[node.arguments.length - 1];
    return last ? handlerIn(checker, last, depth + 1) : undefined;
  }
  if (ts.isIdentifier(node)) {
    const symbol = checker.getSymbolAtLocation(node);
    if (!symbol) return undefined;
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const decl = target.valueDeclaration;
    if (decl && ts.isFunctionDeclaration(decl)) return decl;
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer)
      return handlerIn(checker, decl.initializer, depth + 1);
  }
  return undefined;
}

/** The JSDoc tags on the handler and on the exported declaration that holds it. */
function jsDocTags(handler: ts.SignatureDeclaration, exported: ts.Symbol): readonly ts.JSDocTag[] {
  return [handler, ...(exported.declarations ?? [])].flatMap((node) => ts.getJSDocTags(node));
}

/** The first `@example` whose text is JSON (a code sample is not an input example). */
function exampleOf(tags: readonly ts.JSDocTag[]): unknown {
  for (const tag of tags) {
    if (tag.tagName.text !== "example") continue;
    const text = ts.getTextOfJSDocComment(tag.comment)?.trim();
    if (!text) continue;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // not JSON
    }
  }
  return undefined;
}
