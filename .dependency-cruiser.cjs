/**
 * Dependency rules, checked by `npm run lint` (so by `npm test`):
 *   - no circular imports anywhere (type-only imports count too);
 *   - lib/ (its parts and lib/io/) never imports streams/, commands/, cli or index;
 *   - nothing in lib/ outside lib/io/ imports lib/io/ (modules that touch files, S3,
 *     spawn, lock or read a tokenizer file): lib/input, lib/quality, lib/dataset,
 *     lib/scale and lib/'s top files are pure;
 *   - lib/input (lines, bytes, JSON, schema, mappings, presets) is read first: it never
 *     imports lib/quality, lib/dataset or lib/scale;
 *   - lib/quality never imports lib/scale (the rules do not know about ranks);
 *   - the parts (lib/input, lib/quality, lib/dataset, lib/scale) never import the lib/
 *     top files that put them together (the processor, the options, the config);
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
      comment: 'lib/ outside lib/io/ is pure logic, testable without the file system; I/O lives in lib/io/.',
      from: { path: '^lib/', pathNot: '^lib/io/' },
      to: { path: '^lib/io/' },
    },
    {
      name: 'input-first',
      severity: 'error',
      comment: 'Reading the input (lib/input) needs no quality rule, dataset layout or rank: every other part builds on it.',
      from: { path: '^lib/input/' },
      to: { path: '^lib/(quality|dataset|scale)/' },
    },
    {
      name: 'quality-not-scale',
      severity: 'error',
      comment: 'The quality rules and the report are the same on one machine or many: they never import lib/scale.',
      from: { path: '^lib/quality/' },
      to: { path: '^lib/scale/' },
    },
    {
      name: 'parts-not-composition',
      severity: 'error',
      comment: "lib/'s parts are put together by the processor, the options and the config at lib/'s top; a part never imports them.",
      from: { path: '^lib/(input|quality|dataset|scale)/' },
      to: { path: '^lib/(processor|worker-task|options|option-table|config|config-schema)[.]ts$' },
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
