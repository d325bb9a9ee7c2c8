// ESLint (flat config) for the front-end sources: the recommended rules, a few that catch
// real mistakes in this code base (== instead of ===, shadowed names, markup from
// strings), and the house limits: cyclomatic complexity 15 per function, 500 lines per
// file.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**"] },
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      complexity: ["error", 15],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      "no-shadow": "error",
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-use-before-define": ["error", { functions: false, classes: true, variables: true }],
      "no-implicit-coercion": ["error", { boolean: false }],
      "no-param-reassign": "off",
      "no-restricted-properties": ["error",
        { object: "document", property: "write", message: "user strings go in with textContent" }],
      "no-restricted-syntax": ["error",
        { selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]",
          message: "user strings go in with textContent, SVG through svg.js's parser" }],
      "max-lines": ["error", { max: 500, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
