// ESLint (flat config): typescript-eslint's recommended rules, not the type-checked set,
// so `npm test` stays fast. Dependency rules (cycles, layers) are in .dependency-cruiser.cjs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // assembly/: AssemblyScript (its own types, decorators on functions), checked by asc in the build; the module it becomes is generated.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**', '.venv-ci/**', 'assembly/**', 'lib/quality/exact-key-wasm.generated.ts', 'lib/dataset/gear-hash-wasm.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a binding that is unused on purpose (`for await (const _chunk …)`, `(_label, …) =>`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests walk parsed JSON outputs (manifest, checkpoint, stats, records) ad hoc; typing each is noise.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
  },
);
