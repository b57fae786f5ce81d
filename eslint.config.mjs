import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    // The import boundary (docs/architecture.md §2): configuration, plans, renderers and the CLI
    // never load Pulumi, so `drkit review` and `drkit drill` start without it and the plans can
    // be used outside a Pulumi program. Components (components/*/[A-Z]*.ts) and the few modules
    // that map plans onto provider resources are the only Pulumi code; `drkit render` loads its
    // mock runtime (cli/render/preview.ts) on demand.
    files: ["cli/**/*.ts", "components/**/[a-z]*.ts"],
    ignores: ["cli/render/preview.ts", "components/index.ts", "components/*/index.ts", "components/region/*.ts", "components/workloads/kubernetes.ts", "components/workloads/certificates.ts", "components/host/docker.ts", "components/storage/hardenedBucket.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@pulumi/*"], message: "Pulumi belongs in components (components/*/[A-Z]*.ts): keep this module pure.", allowTypeImports: true },
            { regex: "^\\.\\.?/([a-z]+/)?[A-Z]", caseSensitive: true, message: "a component pulls in Pulumi: import the pure module it uses instead.", allowTypeImports: true },
            { regex: "^\\.\\./(storage|postgres|redis|backup|alerts|workloads|region)$", message: "a domain's index exports its components too: import the pure module (../postgres/plan, ...) instead.", allowTypeImports: true },
            { regex: "^(\\.\\./)+components(/(storage|postgres|redis|backup|alerts|workloads|region))?$", message: "an index exports components too: import the pure module instead.", allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // Tests build deliberately wrong configurations and read loosely typed stack outputs.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
