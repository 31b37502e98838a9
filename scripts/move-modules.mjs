#!/usr/bin/env node
/**
 * move-modules — moves lib/ files into the folders that name the parts and rewrites
 * every reference to them, so the move can be redone after other branches merge
 * (issue 17, item 6). Idempotent: a file already at its new path is left there, and a
 * second run changes nothing.
 *
 *   node scripts/move-modules.mjs            # git mv + rewrite; prints what it changed
 *   node scripts/move-modules.mjs --dry-run  # prints what it would change, writes nothing
 *
 * 1. MOVES: `git mv` each old path to its new one (a missing old path with the new one
 *    present is a move already made).
 * 2. Every relative module specifier in the *.ts, *.mjs, *.cjs and *.js files of the
 *    tree (import/export … from, import(), require(), import x = require(),
 *    jest.mock/doMock/unmock/requireActual/requireMock(), typeof import()) that names a
 *    moved file, or sits in a moved file, is made relative to where both are now.
 * 3. SPLITS: a named import or re-export from a file that was split (step 1 of issue 17:
 *    lib/hub.ts, the old lib/card.ts, …) of a name that now lives elsewhere goes to the
 *    file that has it: `import { describeExport, hubOutputs } from '../lib/hub'` becomes
 *    one import per file. (Code written before the split, on another branch.)
 * 4. Mentions of a moved file's path in comments, strings and Markdown (`lib/hub.ts
 *    flushNeutral`, `dist/lib/parquet.js`) are rewritten the same way.
 * Specifiers the script cannot resolve are listed, not guessed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ts = createRequire(path.join(ROOT, 'package.json'))('typescript');
const DRY_RUN = process.argv.includes('--dry-run');

/**
 * Old path → new path. lib/ by what it is; files every part uses (batch, errors, the
 * options and config files, the processor) stay at lib/'s top.
 */
const MOVES = {
  // lib/input — bytes and lines in, JSON, the schema, mappings and presets, segmentation.
  'lib/lines.ts': 'lib/input/lines.ts',
  'lib/line-carry.ts': 'lib/input/line-carry.ts',
  'lib/byte-text.ts': 'lib/input/byte-text.ts',
  'lib/literals.ts': 'lib/input/literals.ts',
  'lib/compression.ts': 'lib/input/compression.ts',
  'lib/input-hints.ts': 'lib/input/input-hints.ts',
  'lib/parse.ts': 'lib/input/parse.ts',
  'lib/schema.ts': 'lib/input/schema.ts',
  'lib/presets.ts': 'lib/input/presets.ts',
  'lib/mapping.ts': 'lib/input/mapping.ts',
  'lib/mapping-columns.ts': 'lib/input/mapping-columns.ts',
  'lib/map.ts': 'lib/input/map.ts',
  'lib/segment.ts': 'lib/input/segment.ts',
  // lib/quality — personal data, duplicates, tiers, the facts the rules read, the report, thresholds.
  'lib/pii.ts': 'lib/quality/pii.ts',
  'lib/pii-checks.ts': 'lib/quality/pii-checks.ts',
  'lib/pii-text.ts': 'lib/quality/pii-text.ts',
  'lib/dedup.ts': 'lib/quality/dedup.ts',
  'lib/dedup-keys.ts': 'lib/quality/dedup-keys.ts',
  'lib/quality.ts': 'lib/quality/rules.ts',
  'lib/quality-plan.ts': 'lib/quality/plan.ts',
  'lib/quality-counts.ts': 'lib/quality/counts.ts',
  'lib/facts.ts': 'lib/quality/facts.ts',
  'lib/language.ts': 'lib/quality/language.ts',
  'lib/words.ts': 'lib/quality/words.ts',
  'lib/sketch.ts': 'lib/quality/sketch.ts',
  'lib/stats.ts': 'lib/quality/stats.ts',
  'lib/report.ts': 'lib/quality/report.ts',
  'lib/report-json.ts': 'lib/quality/report-json.ts',
  'lib/report-html.ts': 'lib/quality/report-html.ts',
  'lib/thresholds.ts': 'lib/quality/thresholds.ts',
  // lib/dataset — the plan, routing, formats, splits, shards, Parquet, the card.
  'lib/export-plan.ts': 'lib/dataset/plan.ts',
  'lib/plan-options.ts': 'lib/dataset/plan-options.ts',
  'lib/outputs.ts': 'lib/dataset/outputs.ts',
  'lib/out-dir.ts': 'lib/dataset/out-dir.ts',
  'lib/route.ts': 'lib/dataset/route.ts',
  'lib/split.ts': 'lib/dataset/split.ts',
  'lib/shards.ts': 'lib/dataset/shards.ts',
  'lib/formats.ts': 'lib/dataset/formats.ts',
  'lib/line-formats.ts': 'lib/dataset/line-formats.ts',
  'lib/csv-format.ts': 'lib/dataset/csv-format.ts',
  'lib/custom-format.ts': 'lib/dataset/custom-format.ts',
  'lib/jsonl.ts': 'lib/dataset/jsonl.ts',
  'lib/serialize.ts': 'lib/dataset/serialize.ts',
  'lib/zstd.ts': 'lib/dataset/zstd.ts',
  'lib/parquet.ts': 'lib/dataset/parquet.ts',
  'lib/parquet-options.ts': 'lib/dataset/parquet-options.ts',
  'lib/parquet-layout.ts': 'lib/dataset/parquet-layout.ts',
  'lib/parquet-stats.ts': 'lib/dataset/parquet-stats.ts',
  'lib/parquet-cdc.ts': 'lib/dataset/parquet-cdc.ts',
  'lib/parquet-features.ts': 'lib/dataset/parquet-features.ts',
  'lib/thrift-compact.ts': 'lib/dataset/thrift-compact.ts',
  // the Hub's side of a dataset: the hf:// target, what a push uploads, keeps and deletes, the card's generated part.
  'lib/hub-push-url.ts': 'lib/dataset/hub-push-url.ts',
  'lib/hub-push-plan.ts': 'lib/dataset/hub-push-plan.ts',
  'lib/hub-push-card.ts': 'lib/dataset/hub-push-card.ts',
  'lib/card.ts': 'lib/dataset/card.ts',
  'lib/card-configs.ts': 'lib/dataset/card-configs.ts',
  'lib/card-training.ts': 'lib/dataset/card-training.ts',
  'lib/llama-factory.ts': 'lib/dataset/llama-factory.ts',
  'lib/export-description.ts': 'lib/dataset/export-description.ts',
  // lib/scale — ranks, their shares of the inputs and intermediates, the sample.
  'lib/rank.ts': 'lib/scale/rank.ts',
  'lib/rank-entries.ts': 'lib/scale/rank-entries.ts',
  'lib/shares.ts': 'lib/scale/shares.ts',
  'lib/sample.ts': 'lib/scale/sample.ts',
  // lib/io — already a folder: everything that touches the file system, S3 or a tokenizer file.
};

/**
 * Names that moved out of a file when it was split (pre-move paths; MOVES applies on
 * top). A name not listed still lives in the file of its old path.
 */
const SPLITS = {
  'lib/hub.ts': {
    // → lib/plan-options.ts
    HubArgs: 'lib/plan-options.ts',
    Compression: 'lib/plan-options.ts',
    wantsHubLayout: 'lib/plan-options.ts',
    formatsMap: 'lib/plan-options.ts',
    // → lib/export-plan.ts
    ExportPlan: 'lib/export-plan.ts',
    FIXED_FILES: 'lib/export-plan.ts',
    FixedChannel: 'lib/export-plan.ts',
    HubPlan: 'lib/export-plan.ts',
    DEFAULT_SEED: 'lib/export-plan.ts',
    DEFAULT_SPLIT_KEY: 'lib/export-plan.ts',
    DEFAULT_CHECKPOINT_LINES: 'lib/export-plan.ts',
    defaultSplitKey: 'lib/export-plan.ts',
    normalizeHubOptions: 'lib/export-plan.ts',
    normalizeExportPlan: 'lib/export-plan.ts',
    flushNeutral: 'lib/export-plan.ts',
    hubOptionsRecord: 'lib/export-plan.ts',
    // → lib/outputs.ts
    textCompression: 'lib/outputs.ts',
    parquetCompression: 'lib/outputs.ts',
    HubOutput: 'lib/outputs.ts',
    writesRejected: 'lib/outputs.ts',
    hubOutput: 'lib/outputs.ts',
    outputKey: 'lib/outputs.ts',
    parseOutputKey: 'lib/outputs.ts',
    hubOutputs: 'lib/outputs.ts',
    planFormats: 'lib/outputs.ts',
    hubDirectories: 'lib/outputs.ts',
    shardDonePath: 'lib/outputs.ts',
    shardOpenPath: 'lib/outputs.ts',
    isShardFile: 'lib/outputs.ts',
    stratumOf: 'lib/outputs.ts',
    HubOutputState: 'lib/outputs.ts',
    HubState: 'lib/outputs.ts',
    emptyOutputState: 'lib/outputs.ts',
    // → lib/export-description.ts
    FinalShard: 'lib/export-description.ts',
    cardConfigs: 'lib/export-description.ts',
    CardFacts: 'lib/export-description.ts',
    whatRowsAre: 'lib/export-description.ts',
    describeExport: 'lib/export-description.ts',
    splitStats: 'lib/export-description.ts',
  },
  'lib/card.ts': {
    // → lib/card-configs.ts
    localLoadPath: 'lib/card-configs.ts',
    CardFile: 'lib/card-configs.ts',
    CardSplit: 'lib/card-configs.ts',
    CardConfig: 'lib/card-configs.ts',
    CardSplitRule: 'lib/card-configs.ts',
    CardDescription: 'lib/card-configs.ts',
    CardQuality: 'lib/card-configs.ts',
    CardMeta: 'lib/card-configs.ts',
    sizeCategory: 'lib/card-configs.ts',
    cardMetadata: 'lib/card-configs.ts',
    // → lib/llama-factory.ts
    renderLlamaFactoryInfo: 'lib/llama-factory.ts',
  },
  'lib/report.ts': {
    // → lib/language.ts
    LANGUAGE_MIN_CHARS: 'lib/language.ts',
    LANGUAGE_SAMPLE_CHARS: 'lib/language.ts',
    LANGUAGE_MIN_ACCURACY: 'lib/language.ts',
    LANGUAGE_CHECK_ALL: 'lib/language.ts',
    LANGUAGE_STRIDE: 'lib/language.ts',
    languageSampled: 'lib/language.ts',
    DetectAll: 'lib/language.ts',
    LANGUAGE_CANDIDATES: 'lib/language.ts',
    detectLanguage: 'lib/language.ts',
    DEFAULT_LANGUAGE: 'lib/language.ts',
    DETECTABLE_LANGUAGES: 'lib/language.ts',
    // → lib/report-json.ts
    QualitySections: 'lib/report-json.ts',
    computeMetrics: 'lib/report-json.ts',
    ReportInputs: 'lib/report-json.ts',
    buildReport: 'lib/report-json.ts',
    cardQuality: 'lib/report-json.ts',
    // → lib/words.ts
    wordCount: 'lib/words.ts',
    normalizeForCompare: 'lib/words.ts',
    equalNormalized: 'lib/words.ts',
  },
  'lib/quality.ts': {
    // → lib/quality-plan.ts
    PII_MODES: 'lib/quality-plan.ts',
    PiiMode: 'lib/quality-plan.ts',
    DEDUP_MODES: 'lib/quality-plan.ts',
    DedupMode: 'lib/quality-plan.ts',
    LOW_TIER: 'lib/quality-plan.ts',
    Tier: 'lib/quality-plan.ts',
    QualityPlan: 'lib/quality-plan.ts',
    DEFAULT_QUALITY_PLAN: 'lib/quality-plan.ts',
    parseTiers: 'lib/quality-plan.ts',
    QualityArgs: 'lib/quality-plan.ts',
    normalizeQualityPlan: 'lib/quality-plan.ts',
    qualityOptionsRecord: 'lib/quality-plan.ts',
    redactsPii: 'lib/quality-plan.ts',
    isDefaultQualityPlan: 'lib/quality-plan.ts',
    tierNames: 'lib/quality-plan.ts',
    tierOf: 'lib/quality-plan.ts',
    // → lib/quality-counts.ts
    MAX_EXAMPLES: 'lib/quality-counts.ts',
    KindCounts: 'lib/quality-counts.ts',
    PiiExample: 'lib/quality-counts.ts',
    DuplicateExample: 'lib/quality-counts.ts',
    QualityState: 'lib/quality-counts.ts',
    emptyQualityState: 'lib/quality-counts.ts',
    QualityAccumulator: 'lib/quality-counts.ts',
    piiReport: 'lib/quality-counts.ts',
    duplicatesReport: 'lib/quality-counts.ts',
    tiersReport: 'lib/quality-counts.ts',
    thresholdCounts: 'lib/quality-counts.ts',
    qualityStats: 'lib/quality-counts.ts',
  },
  'lib/worker-task.ts': {
    // → lib/processor.ts
    BatchContextOptions: 'lib/processor.ts',
    BatchContext: 'lib/processor.ts',
    checkBatchOptions: 'lib/processor.ts',
    makeBatchContext: 'lib/processor.ts',
    processBatch: 'lib/processor.ts',
  },
  'lib/mapping.ts': {
    // → lib/mapping-columns.ts
    ColumnTypeName: 'lib/mapping-columns.ts',
    COLUMN_TYPE_NAMES: 'lib/mapping-columns.ts',
    ColumnSpecObject: 'lib/mapping-columns.ts',
    ColumnSpec: 'lib/mapping-columns.ts',
    FAILURE_REASON_COLUMN: 'lib/mapping-columns.ts',
    parsePath: 'lib/mapping-columns.ts',
  },
  'lib/pii.ts': {
    // → lib/pii-checks.ts
    luhnValid: 'lib/pii-checks.ts',
    validPersonnummer: 'lib/pii-checks.ts',
    // → lib/pii-text.ts
    REDACTED_TEXT: 'lib/pii-text.ts',
    textHasPii: 'lib/pii-text.ts',
    redactText: 'lib/pii-text.ts',
  },
  'lib/dedup.ts': {
    // → lib/dedup-keys.ts
    lowerLatin: 'lib/dedup-keys.ts',
    exactKey: 'lib/dedup-keys.ts',
    normalizeForDedup: 'lib/dedup-keys.ts',
  },
  'lib/formats.ts': {
    // → lib/line-formats.ts
    LineFormatter: 'lib/line-formats.ts',
    CONTEXT_FIELD: 'lib/line-formats.ts',
    CONTEXT_SEPARATOR: 'lib/line-formats.ts',
    COMPLETION_SEPARATOR: 'lib/line-formats.ts',
    makeLineFormatter: 'lib/line-formats.ts',
    requireChatColumns: 'lib/line-formats.ts',
    // → lib/csv-format.ts
    CSV_RECORD_DELIMITER: 'lib/csv-format.ts',
    CsvFormatter: 'lib/csv-format.ts',
    makeCsvFormatter: 'lib/csv-format.ts',
  },
  'lib/lines.ts': {
    // → lib/line-carry.ts
    RAW_PREFIX_BYTES: 'lib/line-carry.ts',
    LineCarry: 'lib/line-carry.ts',
    CarryState: 'lib/line-carry.ts',
    LinePiece: 'lib/line-carry.ts',
    LineCutter: 'lib/line-carry.ts',
  },};

/** Where a mention of a split file's path without a name after it points now. */
const SPLIT_PRIMARY = { 'lib/hub.ts': 'lib/export-plan.ts' };

/** Where the references live. */
const CODE_DIRS = ['lib', 'streams', 'commands', 'bench', 'test', 'scripts'];
const CODE_FILES = ['cli.ts', 'index.ts', 'eslint.config.mjs', 'jest.config.js', '.dependency-cruiser.cjs'];
const CODE_EXT = /\.(ts|mts|cts|mjs|cjs|js)$/;
const DOC_FILES = ['README.md', 'bench/README.md'];
const SKIP = /(^|\/)(node_modules|dist|coverage|bench\/out)(\/|$)/;
/** This file: its tables name the old paths on purpose. */
const SELF = 'scripts/move-modules.mjs';

const abs = (file) => path.join(ROOT, file);
const exists = (file) => fs.existsSync(abs(file)) && fs.statSync(abs(file)).isFile();

/** A pre-move path through MOVES (and a split name through SPLITS first). */
function finalPath(file, name) {
  const split = SPLITS[file];
  let home = file;
  if (split && name !== undefined && Object.hasOwn(split, name)) home = split[name];
  else if (split && name === undefined && !exists(file) && !Object.hasOwn(MOVES, file)) home = SPLIT_PRIMARY[file] ?? file;
  return MOVES[home] ?? home;
}

function walk(dir, out) {
  if (!fs.existsSync(abs(dir))) return out;
  for (const entry of fs.readdirSync(abs(dir), { withFileTypes: true })) {
    const file = `${dir}/${entry.name}`;
    if (SKIP.test(file)) continue;
    if (entry.isDirectory()) walk(file, out);
    else if (CODE_EXT.test(entry.name) && !entry.name.endsWith('.d.ts') && file !== SELF) out.push(file);
  }
  return out;
}

// ---------------------------------------------------------------------------
// 1. git mv

const movedNow = new Map(); // new path → old path, for the files moved by this run
for (const [from, to] of Object.entries(MOVES)) {
  if (exists(to) && !exists(from)) continue;
  if (!exists(from)) {
    console.log(`skip: ${from} (not here; nothing at ${to} either)`);
    continue;
  }
  if (exists(to)) throw new Error(`both ${from} and ${to} exist: resolve by hand`);
  console.log(`git mv ${from} ${to}`);
  if (!DRY_RUN) {
    fs.mkdirSync(path.dirname(abs(to)), { recursive: true });
    execFileSync('git', ['mv', from, to], { cwd: ROOT, stdio: 'inherit' });
  }
  movedNow.set(to, from);
}

// ---------------------------------------------------------------------------
// 2.–4. references

/** The source file a relative specifier names from `dir` (a repo-relative folder), or null. */
function resolveFrom(dir, specifier) {
  const base = path.posix.normalize(path.posix.join(dir, specifier));
  const candidates = [base, `${base}.ts`, `${base}.js`, `${base}.mjs`, `${base}.cjs`, `${base}.json`, `${base}/index.ts`, `${base}/index.js`];
  // A compiled path (`./mine.js` for mine.ts) names its source.
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts'));
  return candidates;
}

/** The specifier from `fromFile` to `target`, in the style of `original` (its extension, if any). */
function specifierTo(fromFile, target, original) {
  let spec = path.posix.relative(path.posix.dirname(fromFile), target);
  const ext = path.posix.extname(original);
  if (ext === '.js' && target.endsWith('.ts')) spec = spec.replace(/\.ts$/, '.js');
  else if (ext === '' || !original.endsWith(path.posix.extname(target))) spec = spec.replace(/\.(ts|js)$/, '').replace(/\/index$/, '');
  return spec.startsWith('.') ? spec : `./${spec}`;
}

/**
 * Where a relative specifier of `file` (at its path now) should point: the final path of
 * what it named. A file moved by this run wrote its specifiers from its old folder.
 */
function retarget(file, specifier, name) {
  for (const candidate of resolveFrom(writtenIn(file), specifier)) {
    const moved = MOVES[candidate] !== undefined || SPLITS[candidate] !== undefined;
    if (!moved && !exists(candidate)) continue;
    const target = finalPath(candidate, name);
    if (!exists(target) && !(DRY_RUN && Object.values(MOVES).includes(target))) continue;
    return specifierTo(placed(file), target, specifier);
  }
  return null;
}

/** Where a file is after the moves (a dry run moved nothing). */
function placed(file) {
  return DRY_RUN ? (MOVES[file] ?? file) : file;
}

/** The folder a file's relative specifiers were written from: its old one if this run moved it. */
function writtenIn(file) {
  return path.posix.dirname(movedNow.get(file) ?? file);
}

const MOCK_CALLS = new Set(['mock', 'doMock', 'unmock', 'requireActual', 'requireMock', 'setMock', 'createMockFromModule']);

/** The edits (start, end, text) of one file's module specifiers. */
function specifierEdits(file, text) {
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const edits = [];
  const unresolved = [];
  const literal = (node, name) => {
    const specifier = node.text;
    if (!specifier.startsWith('.')) return;
    const next = retarget(file, specifier, name);
    if (next === null) {
      if (!resolveFrom(writtenIn(file), specifier).some(exists)) unresolved.push(specifier);
      return;
    }
    if (next !== specifier) edits.push({ start: node.getStart(source) + 1, end: node.getEnd() - 1, text: next });
  };
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const split = namedSplit(file, node, source);
      if (split) edits.push(split);
      else literal(node.moduleSpecifier);
      return;
    }
    if (ts.isExternalModuleReference(node) && ts.isStringLiteral(node.expression)) literal(node.expression);
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) literal(node.argument.literal);
    if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isMock = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'jest' && MOCK_CALLS.has(callee.name.text);
      if (isRequire || isImport || isMock) literal(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { edits, unresolved };
}

/**
 * An import/export of names from a split file whose names now live in several files:
 * one declaration per file (null when one specifier rewrite does).
 */
function namedSplit(file, node, source) {
  const specifier = node.moduleSpecifier.text;
  if (!specifier.startsWith('.')) return null;
  const splitFile = resolveFrom(writtenIn(file), specifier).find((candidate) => SPLITS[candidate] !== undefined);
  if (splitFile === undefined) return null;
  const isImport = ts.isImportDeclaration(node);
  const clause = isImport ? node.importClause : node;
  const named = isImport ? clause?.namedBindings : node.exportClause;
  if (!named || !(ts.isNamedImports(named) || ts.isNamedExports(named)) || (isImport && clause.name)) return null;
  const groups = new Map();
  for (const element of named.elements) {
    const name = (element.propertyName ?? element.name).text;
    const target = finalPath(splitFile, name);
    if (!groups.has(target)) groups.set(target, []);
    groups.get(target).push(element.getText(source));
  }
  if (groups.size === 1) {
    const [target] = groups.keys();
    const next = specifierTo(placed(file), target, specifier);
    if (next === specifier) return null;
    return { start: node.moduleSpecifier.getStart(source) + 1, end: node.moduleSpecifier.getEnd() - 1, text: next };
  }
  const typeOnly = isImport ? clause.isTypeOnly : node.isTypeOnly;
  const quote = node.moduleSpecifier.getText(source)[0];
  const lines = [...groups].map(([target, elements]) => {
    let only = typeOnly;
    if (!only && elements.every((element) => element.startsWith('type '))) {
      only = true;
      elements = elements.map((element) => element.replace(/^type\s+/, ''));
    }
    return `${isImport ? 'import' : 'export'} ${only ? 'type ' : ''}{ ${elements.join(', ')} } from ${quote}${specifierTo(placed(file), target, specifier)}${quote};`;
  });
  return { start: node.getStart(source), end: node.getEnd(), text: lines.join('\n') };
}

/** Mentions of moved paths (`lib/hub.ts flushNeutral`, `dist/lib/parquet.js`) in any text. */
const MENTIONED = [...new Set([...Object.keys(MOVES), ...Object.keys(SPLITS)])];
const MENTION = new RegExp(`(?<![\\w.-])(${MENTIONED.map((file) => file.replace(/\.ts$/, '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})\\.(ts|js)\\b`, 'g');
/** The name after a mention (`lib/hub.ts flushNeutral`, `lib/report.ts: cardQuality`), read, not consumed. */
const NAME_AFTER = /(?:`?\s+`?|:\s*)([A-Za-z_]\w*)/y;
function mentionEdits(text) {
  const edits = [];
  for (const match of text.matchAll(MENTION)) {
    const old = `${match[1]}.ts`;
    NAME_AFTER.lastIndex = match.index + match[0].length;
    const name = NAME_AFTER.exec(text)?.[1];
    const byName = name !== undefined && SPLITS[old] !== undefined && Object.hasOwn(SPLITS[old], name) ? name : undefined;
    const next = finalPath(old, byName).replace(/\.ts$/, `.${match[2]}`);
    if (next !== match[0]) edits.push({ start: match.index, end: match.index + match[0].length, text: next });
  }
  return edits;
}

function apply(text, edits) {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].end > sorted[i - 1].start) throw new Error('overlapping edits');
  let out = text;
  for (const edit of sorted) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

const files = [...CODE_DIRS.flatMap((dir) => walk(dir, [])), ...CODE_FILES.filter(exists)];
let changed = 0;
const problems = [];
for (const file of [...files, ...DOC_FILES.filter(exists)]) {
  const text = fs.readFileSync(abs(file), 'utf8');
  let edits = [];
  if (CODE_EXT.test(file)) {
    const found = specifierEdits(file, text);
    edits = found.edits;
    for (const specifier of found.unresolved) problems.push(`${file}: cannot resolve ${specifier}`);
  }
  const taken = (at) => edits.some((edit) => edit.start <= at && at < edit.end);
  edits.push(...mentionEdits(text).filter((edit) => !taken(edit.start)));
  if (edits.length === 0) continue;
  const next = apply(text, edits);
  if (next === text) continue;
  changed++;
  console.log(`rewrote ${file} (${edits.length})`);
  if (!DRY_RUN) fs.writeFileSync(abs(file), next);
}
console.log(`${movedNow.size} moved, ${changed} files rewritten${DRY_RUN ? ' (dry run: nothing written)' : ''}`);
for (const problem of problems) console.log(`unresolved: ${problem}`);
