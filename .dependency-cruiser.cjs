/**
 * Dependency rules, checked by `npm run lint` (so by `npm test`):
 *   - no circular imports anywhere (type-only imports count too);
 *   - lib/ (pure logic and lib/io/) never imports streams/, commands/, cli or index;
 *   - pure lib/*.ts never imports lib/io/ (modules that touch files, spawn or lock);
 *   - streams/ never imports commands/ or cli.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and the layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-not-upward',
      severity: 'error',
      comment: 'lib/ is the core: stages (streams/), commands and the CLI build on it, never the other way.',
      from: { path: '^lib/' },
      to: { path: '^(streams/|commands/|cli[.]ts$|index[.]ts$)' },
    },
    {
      name: 'pure-lib-not-io',
      severity: 'error',
      comment: 'lib/*.ts is pure logic, testable without the file system; I/O lives in lib/io/.',
      from: { path: '^lib/[^/]+$' },
      to: { path: '^lib/io/' },
    },
    {
      name: 'streams-not-commands',
      severity: 'error',
      comment: 'A stage is usable by a library user without the commands or the CLI.',
      from: { path: '^streams/' },
      to: { path: '^(commands/|cli[.]ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|coverage)/' },
    // Type-only imports are dependencies too (a type cycle is a cycle).
    tsPreCompilationDeps: true,
  },
};
