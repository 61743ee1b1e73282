// Lint rules of the house: promises are never dropped, type-only imports say so, no module imports
// itself back through a cycle, and the folders of src/ depend on each other only in the directions
// docs/architecture (DESIGN §5) gives: sdk → core; local → sdk, core; engine → core, store;
// server → engine, store, core; executor → core, client; cli → everything.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

/** For each folder of src/, the other folders of src/ it may import from. */
const ALLOWED = {
  core: [],
  sdk: ["core"],
  local: ["sdk", "core"],
  testing: ["core", "local"],
  store: ["core"],
  engine: ["core", "store"],
  dashboard: ["core"],
  server: ["engine", "store", "core", "dashboard"],
  client: ["core"],
  container: ["core", "sdk"],
  executor: ["core", "client"],
};

/** The deploy tooling of src/client: it pulls in esbuild, so user bundles must never reach it. */
const DEPLOY_TOOLING = ["bundle", "deploy", "extract-manifest", "index"];

const zones = [
  ...Object.entries(ALLOWED).map(([folder, allowed]) => ({
    target: `./src/${folder}`,
    from: "./src",
    except: [`./${folder}`, ...allowed.map((a) => `./${a}`)],
    message: `src/${folder} may import only from ${[folder, ...allowed].join(", ")} (DESIGN §5)`,
  })),
  // The SDK entry is what user bundles import: it reaches run-remote, never deploy tooling or servers.
  {
    target: "./src/index.ts",
    from: "./src",
    except: ["./sdk", "./local", "./core", "./client/run-remote.ts"],
    message: "the SDK entry may export only sdk, local, core and client/run-remote",
  },
  // The engine's parts are private to it: everything outside src/engine goes through its façade.
  {
    target: ["./src/!(engine)/**", "./src/*.ts"],
    from: "./src/engine",
    except: ["./index.ts"],
    message: "outside src/engine, import the engine only from src/engine/index.ts (its façade)",
  },
  {
    target: `./src/client/!(${DEPLOY_TOOLING.join("|")}).ts`,
    from: DEPLOY_TOOLING.map((f) => `./src/client/${f}.ts`),
    message: "run-remote and its helpers are in user bundles: they must not reach the deploy tooling (esbuild)",
  },
];

/** Packages that must never reach a user's bundle. */
const TOOLING_PACKAGES = ["esbuild", "commander", "cli-progress", "typescript"];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".peers/**", "coverage/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["test", "describe", "it", "suite", "before", "after", "beforeEach", "afterEach"],
            },
          ],
        },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/no-empty-function": "off",
      "@typescript-eslint/no-this-alias": "off",
      "no-empty": ["error", { allowEmptyCatch: true }],
      "no-control-regex": "off",
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  {
    files: ["src/**/*.ts"],
    // Unit tests beside the code may use test helpers from anywhere; they are not part of the product.
    ignores: ["src/**/*.test.ts"],
    rules: { "import-x/no-restricted-paths": ["error", { zones }] },
  },
  {
    files: [
      "src/{sdk,core,local,testing,container}/**/*.ts",
      "src/index.ts",
      `src/client/!(${DEPLOY_TOOLING.join("|")}).ts`,
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: TOOLING_PACKAGES.map((name) => ({ name, message: "deploy tooling must stay out of user bundles" })) },
      ],
    },
  },
);
