/**
 * quality-report — the quality report and release gate as the commands use
 * them: the options checked and the tokenizer loaded before any input is read
 * (`prepareReport`), report.json and report.html written atomically at the end
 * (`writeReportFiles`), the breached --fail-on rules printed one per line and
 * turned into exit 4 (`failOnBreaches`); and `qa-hf report INPUT… --out DIR`,
 * which runs the inputs through processing and routing as an export would and
 * writes only the report.
 *
 * Export (commands/export/) and pipe mode (--report DIR) feed a ReportAccumulator
 * with every routed batch; the pure parts are lib/quality/report.ts, lib/quality/report-html.ts
 * and lib/quality/thresholds.ts.
 */
import { QualityAccumulator, contaminationReport, duplicatesReport, piiReport, tiersReport } from '../lib/quality/counts';
import { type EvalSets, loadEvalSets } from '../lib/io/eval-sets';
import { type QualityArgs, normalizeDecontaminate, normalizeQualityPlan, redactsPii } from '../lib/quality/plan';
import { QualityRouter } from '../lib/quality/rules';
import { inputName } from '../streams/file-source';
import { loadMappingSchema, withPresetMapping } from '../lib/io/presets';
import type { ReportRunPlan } from '../lib/plan';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Batch } from '../lib/batch';
import { QaHfError } from '../lib/errors';
import { isS3Url } from '../lib/s3-url';
import { writeFileAtomic } from '../lib/io/atomic-file';
import { discoverInputs, skippedExportsNote } from '../lib/io/discover';
import { MANIFEST_FILE } from '../lib/io/manifest';
import { refuseInputFolders, refuseInputsInOut } from '../lib/io/out-dir-fs';
import { type LoadedTokenizer, loadTokenizer } from '../lib/io/tokenizer';
import { ChatTokenCounter, type ChatTokensSpec } from '../lib/quality/chat-tokens';
import { type MappingSpec, resolvePreset } from '../lib/input/mapping';
import { type NormalizedReportOptions, type OptionStyle, type ReportOptionsInput, normalizeReportOptions, optionName } from '../lib/options';
import { type QualitySections, buildReport, computeMetrics } from '../lib/quality/report-json';
import { ReportAccumulator } from '../lib/quality/report';
import { type DetectAll, detectLanguage } from '../lib/quality/language';
import { LanguageThread } from '../lib/io/language-thread';
import { renderReportHtml } from '../lib/quality/report-html';
import { roundFloat } from '../lib/quality/stats';
import { METRICS, type Metric, type RoutedMetric, type ThresholdResult, breachLines, checkMeasured, evaluateThresholds } from '../lib/quality/thresholds';
import { Tally, balanced, count, type Counts } from '../lib/tally';
import { createFileSource } from '../streams/file-source';
import { buildChain } from '../streams/chain';
import { factsSpec } from '../lib/quality/facts';
import { createSink } from '../streams/sink';
import { printHint } from './hint';
import { Reporter } from './report';
import { judgeUsable } from '../lib/usable';
import { presetName } from '../lib/input/mapping';
import { routedMetrics } from '../lib/dataset/plan';

export const REPORT_JSON = 'report.json';
export const REPORT_HTML = 'report.html';
export const REPORT_FILES = [REPORT_JSON, REPORT_HTML] as const;

/**
 * Metrics every run measures. pii, pii_written, duplicates and near_duplicates come
 * from the PII and dedup sections; a rule on a metric the run does not measure is refused
 * up front (lib/quality/thresholds.ts checkMeasured).
 */
export function measuredMetrics(options: NormalizedReportOptions, sections: readonly (keyof QualitySections)[] = [], filters: readonly RoutedMetric[] = []): Metric[] {
  const metrics: Metric[] = ['pass_rate', 'errors', ...filters];
  if (options.language !== null) metrics.push('language_mismatch');
  if (sections.includes('pii')) metrics.push('pii', 'pii_written');
  if (sections.includes('duplicates')) metrics.push('duplicates', 'near_duplicates', 'leaks');
  if (sections.includes('contamination')) metrics.push('contaminated');
  return metrics;
}

/** The report's options, checked, with the tokenizer loaded: what a run needs before reading input. */
export interface ReportSetup {
  options: NormalizedReportOptions;
  countTokens?: (text: string) => number;
  /** The language detector (tinyld through lib/quality/language.ts detectLanguage), loaded on its first use; absent when the language check is off. */
  detect?: (text: string) => string;
  /** The same detector on a thread of its own (lib/io/language-thread.ts), started on its first use. */
  detectLater?: (text: string) => () => string;
  /** sha256 of the tokenizer file (the options hash holds it), or null. */
  tokenizerSha256: string | null;
  /** Ends the language check's thread: once the run is over (a ticket redeemed after it is detected in place). */
  close(): Promise<void>;
  /** --decontaminate: the evaluation sets read (lib/io/eval-sets.ts), their n-grams for the quality rules and sha256s for the options hash. */
  evalSets?: EvalSets;
  /** The routing filters of the run whose counts are metrics (lib/dataset/plan.ts routedMetrics). */
  filters: RoutedMetric[];
  /** --tokenizer FOLDER: the model's tokenizer.json and tokenizer_config.json as data (lib/quality/chat-tokens.ts); else null. */
  chat: LoadedTokenizer['chat'];
}

/**
 * A model folder's chat token spec for rows of these columns (with --system-prompt
 * when given), or null; `--max-tokens` without a folder is refused here (ERR_USAGE).
 */
export function chatSpecOf(setup: ReportSetup, args: { preset?: string; mapping?: MappingSpec }, systemPrompt: string | null, maxTokens?: number): ChatTokensSpec | null {
  if (setup.chat === null) {
    if (maxTokens !== undefined) {
      const why = setup.options.tokenizer === null ? 'none is given' : `${setup.options.tokenizer} is a tokenizer.json file`;
      throw new QaHfError('ERR_USAGE', `--max-tokens ${maxTokens} needs --tokenizer MODEL_FOLDER (tokenizer.json and tokenizer_config.json with its chat_template); ${why}`);
    }
    return null;
  }
  // The preset's columns (a shipped mapped preset with its mapping: pipe mode's arguments hold only its name).
  const columns = resolvePreset(withPresetMapping(args)).pairColumns;
  return { ...setup.chat, columns: [...columns], systemPrompt };
}

/** Metrics measured only with an option (the routing filters', --decontaminate's): the option, and what it takes, for a rule on one without it. */
const MEASURED_BY: Record<RoutedMetric | 'contaminated', { option: string; takes?: string }> = {
  too_short: { option: 'minChars' },
  too_long: { option: 'maxChars' },
  too_many_tokens: { option: 'maxTokens' },
  contaminated: { option: 'decontaminate', takes: 'FILE (an evaluation set)' },
};

export async function prepareReport(
  args: ReportOptionsInput & QualityArgs & { segment?: unknown; quiet?: unknown },
  style: OptionStyle,
  given: readonly (keyof QualitySections)[] = [],
  filters: readonly RoutedMetric[] = [],
): Promise<ReportSetup> {
  const options = normalizeReportOptions(args, style);
  // --decontaminate: its section (and the contaminated metric) with the quality rules'.
  const decontaminate = normalizeDecontaminate(args, style);
  const sections = decontaminate ? [...given, 'contamination' as const] : given;
  const option = optionName('failOn', style);
  // A metric measured only with its option, without it: say which option measures it.
  for (const [metric, by] of Object.entries(MEASURED_BY) as [keyof typeof MEASURED_BY, { option: string; takes?: string }][]) {
    if (metric === 'contaminated' ? decontaminate !== null : filters.includes(metric)) continue;
    const name = `${optionName(by.option, style)}${style === 'cli' && by.takes ? ` ${by.takes}` : ''}`;
    checkMeasured(options.failOn, METRICS.filter((other) => other !== metric), `without ${name}`, option);
  }
  // The language check is off (--language off): say which option turns it on.
  if (options.language === null) {
    const off = style === 'cli' ? "with --language off; set --language to the answers' language (e.g. --language sv) or drop the rule" : "with language: off; set language to the answers' language (e.g. sv) or drop the rule";
    checkMeasured(options.failOn, METRICS.filter((metric) => metric !== 'language_mismatch'), off, option);
  }
  checkMeasured(options.failOn, measuredMetrics(options, sections, filters), sections.length ? 'by this run' : 'by this run (no PII or dedup section)', option);
  // The rows of segmented documents are not scanned for PII: a gate reading their 0 would pass what it never looked at.
  if (args.segment !== undefined) checkMeasured(options.failOn, METRICS.filter((metric) => metric !== 'pii_written'), 'with segment: (the rows of segmented documents are not scanned for PII)', option);
  // Near duplicates are looked for only with --dedup near: without it their share is no measurement (0 would pass anything).
  if (sections.includes('duplicates') && normalizeQualityPlan(args, style).dedup !== 'near') {
    checkMeasured(options.failOn, METRICS.filter((metric) => metric !== 'near_duplicates'), style === 'cli' ? 'without --dedup near' : 'without dedup near', option);
  }
  const detectors = options.language === null ? { close: async () => undefined } : languageDetectors(options.language);
  // A setup that fails leaves no thread behind.
  return withSetup(detectors, async () => {
    const evalSets = decontaminate ? { evalSets: await loadEvalSets(decontaminate.files, decontaminate) } : {};
    // A set that can match nothing (no text of N words or more) protects nothing: say so.
    for (const file of evalSets.evalSets?.files ?? []) {
      if (file.long_texts === 0 && args.quiet !== true) {
        process.stderr.write(`qa-hf: warning: ${style === 'cli' ? '--decontaminate' : 'decontaminate'} ${file.file} holds no text of ${decontaminate!.ngram} words or more (${file.records} record${file.records === 1 ? "" : "s"}): it can match no pair${file.records > 0 ? `; a smaller ${style === 'cli' ? '--decontaminate-ngram' : 'decontaminateNgram'} would` : ''}\n`);
      }
    }
    if (options.tokenizer === null) return { options, ...detectors, tokenizerSha256: null, filters: [...filters], chat: null, ...evalSets };
    const tokenizer = await loadTokenizer(options.tokenizer, style === 'cli' ? '--tokenizer' : 'option tokenizer');
    return { options, ...detectors, countTokens: tokenizer.countTokens, tokenizerSha256: tokenizer.sha256, filters: [...filters], chat: tokenizer.chat, ...evalSets };
  });
}

/** `make()`'s setup; if it fails, the language check's thread is closed before the failure goes on. */
async function withSetup(detectors: Pick<ReportSetup, 'close'>, make: () => Promise<ReportSetup>): Promise<ReportSetup> {
  try {
    return await make();
  } catch (err) {
    await detectors.close();
    throw err;
  }
}

/**
 * The language check's detectors: the report's checks go to a thread (started by the first
 * answer sent, or already loading tinyld since the CLI's start; unref'd, so it never keeps the
 * process alive; ended by `close()` when the run is over) that detects while this one exports.
 * Here tinyld (~0.1 s) is loaded only if the thread fails, or for a caller that detects in place.
 */
function languageDetectors(language: string): Pick<ReportSetup, 'detect' | 'detectLater' | 'close'> {
  let detector: ((text: string) => string) | null = null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, synchronously
  const inPlace = () => (detector ??= detectLanguage((require('tinyld') as { detectAll: DetectAll }).detectAll, language));
  // A caller that only plans (settleExport) starts none.
  const thread = new LanguageThread(language, inPlace);
  return {
    detect: (text) => inPlace()(text),
    detectLater: (text) => thread.detectLater(text),
    close: () => thread.close(),
  };
}

/** A report accumulator for a run of these split names, fresh or from a checkpoint's state. */
export function newAccumulator(setup: ReportSetup, splitNames: readonly string[], state?: ConstructorParameters<typeof ReportAccumulator>[1], chat?: ChatTokenCounter): ReportAccumulator {
  return new ReportAccumulator(
    { language: setup.options.language, splitNames, countTokens: setup.countTokens, detect: setup.detect, detectLater: setup.detectLater, filters: setup.filters, ...(chat ? { chat } : {}) },
    state,
  );
}

/** What decides the report's bytes, for the options hash (--fail-on does not: it is evaluated at the end). */
export function reportOptionsRecord(setup: ReportSetup): Record<string, unknown> {
  return { language: setup.options.language ?? 'off', tokenizer_sha256: setup.tokenizerSha256 };
}

export interface AssembledReport {
  /** The report.json object. */
  json: Record<string, unknown>;
  thresholds: ThresholdResult[];
}

/** The report.json object and the thresholds' results at the end of a run. */
export function assembleReport(report: ReportAccumulator, setup: ReportSetup, counts: Counts, sections: QualitySections): AssembledReport {
  const metrics = computeMetrics(report, counts, sections);
  const thresholds = evaluateThresholds(setup.options.failOn, metrics);
  const json = buildReport(report, { counts, metrics, thresholds, sections, tokenizer: setup.options.tokenizer === null ? null : path.basename(setup.options.tokenizer) });
  return { json, thresholds };
}

/**
 * Writes report.json and report.html into `dir`, each atomically (a temp name,
 * fsync, rename). `tempPath` gives the temp name of each (export: fixed names its
 * sweep knows); default: AtomicFile's per-process one.
 */
export async function writeReportFiles(dir: string, assembled: AssembledReport, tempPath?: (file: string) => string): Promise<void> {
  const { json } = assembled;
  const html = await renderReportHtml(json, { title: path.basename(path.resolve(dir)) });
  await writeFileAtomic(path.join(dir, REPORT_JSON), `${JSON.stringify(json, null, 2)}\n`, { tempPath: tempPath?.(REPORT_JSON) });
  await writeFileAtomic(path.join(dir, REPORT_HTML), html, { tempPath: tempPath?.(REPORT_HTML) });
}

/**
 * Ends a run whose files are all written: prints each breached rule on one line,
 * then throws the input that gave nothing usable (ERR_UNUSABLE_INPUT, exit 5: it
 * comes first, since no quality rule means much of such a run), else the breach
 * (ERR_THRESHOLD, exit 4); nothing when all passed and every input was usable.
 */
export function failOnBreaches(thresholds: readonly ThresholdResult[], where: string, unusable: QaHfError | null = null, stderr: NodeJS.WritableStream = process.stderr): void {
  const lines = breachLines(thresholds, roundFloat);
  for (const line of lines) stderr.write(`qa-hf: ${line}\n`);
  if (unusable) throw unusable;
  if (lines.length === 0) return;
  throw new QaHfError('ERR_THRESHOLD', `${lines.length} of ${count(thresholds.length, '--fail-on rule')} breached; every file is written (${where})`);
}

/** `--report DIR` / `report --out DIR`: a folder that exists or can be made, and holds no export (its report is in its manifest). */
export async function prepareReportDir(dir: string, option: string): Promise<void> {
  if (isS3Url(dir)) throw new QaHfError('ERR_USAGE', `${option} ${dir}: the report is written to a local folder; s3:// URLs are for inputs, export --out and verify`);
  const stat = await fs.stat(dir).catch(() => null);
  if (stat && !stat.isDirectory()) throw new QaHfError('ERR_USAGE', `${option} ${dir} is not a folder`);
  if (stat && (await fs.stat(path.join(dir, MANIFEST_FILE)).catch(() => null))) {
    throw new QaHfError('ERR_USAGE', `${option} ${dir} holds a qa-hf export (its report is part of it); choose another folder`);
  }
  await fs.mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new QaHfError('ERR_IO', `cannot create ${option} ${dir} (${err.code ?? err.message})`);
  });
}

/** `qa-hf report INPUT… --out DIR`: processes and routes as export would, writes only report.json and report.html. */
export async function reportCommand(run: ReportRunPlan): Promise<void> {
  // The plan (lib/plan.ts): a shipped mapped preset (`--preset squad`) comes with its mapping.
  const { args, dataset: planned } = run;
  const out = args.out;
  if (out === undefined || out === '') throw new QaHfError('ERR_USAGE', 'report needs --out DIR');
  const setup = await prepareReport(args, 'cli', ['pii', 'duplicates'], routedMetrics(planned));
  try {
    // A model folder: every row's conversation rendered and counted (routing: --max-tokens; the report).
    const chatSpec = chatSpecOf(setup, args, null, planned.maxTokens);
    const plan = chatSpec ? { ...planned, chat: chatSpec } : planned;
    const chat = chatSpec ? new ChatTokenCounter(chatSpec) : undefined;
    await refuseInputFolders(args.inputs, out);
    const inputs = await discoverInputs(args.inputs, {
      glob: args.glob,
      exclude: out,
      onSkippedExports: (skipped) => {
        if (!args.quiet) process.stderr.write(`qa-hf: ${skippedExportsNote(skipped)}\n`);
      },
    });
    await refuseInputsInOut(inputs, out);
    await prepareReportDir(out, '--out');
    const tally = new Tally();
    const report = newAccumulator(setup, plan.spec.names, undefined, chat);
    // The quality rules run as in export (routing), so the report has the same pii and duplicates sections.
    const quality = new QualityAccumulator(plan.quality);
    const reporter = new Reporter({ quiet: args.quiet, errorsWritten: false, keepHint: 'run qa-hf export to write them all' });
    const onCommit = (batch: Batch) => {
      tally.add(batch);
      report.add(batch);
      // Bad lines too: the report counts pii_written as the export, which writes them all, would.
      for (const entry of batch.entries) if (entry.channel === 'pairs' || entry.channel === 'rejected' || entry.channel === 'errors') quality.add(entry, batch.file, plan.spec.names);
      reporter.warn(batch);
    };
    const hints = new Map<string, string>();
    const source = createFileSource(inputs, {
      onHint: (file, hint) => {
        hints.set(file, hint);
        printHint(hint, args.quiet);
      },
    });
    const processing = {
      preset: args.preset,
      // A config's mapping and segment: sections, processed as export processes them.
      ...(args.mapping === undefined ? {} : { mapping: loadMappingSchema(args.mapping, '') }),
      ...(args.segment === undefined ? {} : { segment: args.segment }),
      maxLineBytes: args.maxLineBytes,
      failFast: args.failFast,
      workers: args.workers,
      serialize: [],
      facts: factsSpec(plan.quality, report.language, true, chatSpec),
      redactErrors: redactsPii(plan.quality),
    };
    const route = { plan, quality: new QualityRouter(plan.quality, inputs.map(inputName), setup.evalSets?.index ?? null), chat };
    await buildChain({ processing, route }, { source, sink: createSink({ outputs: {}, onCommit }) }).run();
    if (!balanced(tally.total)) throw new Error('internal: the counts do not add up to the lines read');
    const tiers = tiersReport(quality.state);
    const contamination = contaminationReport(quality.state);
    const assembled = assembleReport(report, setup, tally.total, { pii: piiReport(quality.state), duplicates: duplicatesReport(quality.state), ...(tiers ? { tiers } : {}), ...(contamination ? { contamination } : {}) });
    await writeReportFiles(out, assembled);
    // An input (or the whole run) that gave nothing usable: exit 5 once the report is written (lib/usable.ts).
    const usable = judgeUsable(tally.total, inputs.map(inputName), tally.files, { hints, preset: presetName(args), done: `the report is written (${path.join(out, REPORT_JSON)})`, examples: reporter.firstErrors });
    reporter.summary(tally, [`wrote ${path.join(out, REPORT_JSON)}, ${path.join(out, REPORT_HTML)}`, ...usable.notes]);
    failOnBreaches(assembled.thresholds, path.join(out, REPORT_JSON), usable.error);
  } finally {
    await setup.close();
  }
}
