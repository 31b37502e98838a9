/**
 * preference — the preference formats of `qa-hf export` (TRL's KTO and DPO datasets), made
 * from the verdict the input already carries: a passed pair is a desired answer, a rejected
 * one an undesired answer to the same question. Pure: no stream, no file.
 *
 *   kto  {"prompt":P,"completion":C,"label":true|false}   every pair; label = passed
 *   dpo  {"prompt":P,"chosen":C,"rejected":R}            per question with both kinds
 *
 * Standard form (text): P is the user's turn (the question, after the context and a blank line
 * when the rows have one; lib/dataset/line-formats.ts userText) and C, R the answer after one
 * space (COMPLETION_SEPARATOR: TRL's KTOTrainer tokenizes `prompt + completion` joined as they
 * are, and TRL's dataset formats page writes standard rows with the space at the start of the
 * completion). Conversational form, with --system-prompt (text has no place for it) or when the
 * input is a conversation (a `messages` column): P is the turns before the answer — a
 * conversation's own turns before its first assistant turn (the answer the pair's `answer`
 * holds, which is what was validated), else the user's turn — with the system prompt first when
 * there is one and the conversation has no system turn; C, R are `[{"role":"assistant",…}]`.
 *
 * Which pairs: the passed ones, and the rejected ones except duplicates the quality rules moved
 * out (`duplicate`, `near_duplicate`: copies of a kept passed pair — its label is already there,
 * and a copy labelled false would contradict it) and pairs --decontaminate moved out
 * (`contaminated`: an evaluation set's text is not trained on, as a bad answer either).
 *
 * DPO groups pairs by their question as the exact-dedup key normalizes it (NFKC, case-folded,
 * whitespace collapsed and trimmed; lib/quality/dedup-keys.ts) and keeps per question only what
 * its row needs: the prompt of the first record in input order, the best-scored passed answer and
 * the worst-scored rejected one (a larger / smaller `validation_score`; equal scores keep the
 * earlier record; a row without a numeric score is taken only while its kind has no scored one).
 * Memory grows with the distinct questions, not the rows. Every change is also a line of the
 * resume log (`PreferenceIndex.add`'s return), and replaying the committed log rebuilds the
 * very same index (`restore`), so a resumed run writes the same rows as an uninterrupted one.
 *
 *   const index = new PreferenceIndex(renderer);
 *   index.add(row, true, 0)            // '["q","…",0,"\"Hur?\""]\n["c","…",0.9,"\" Så.\""]\n' (log)
 *   [...index.pairs()]                 // [{ split: 0, line: '{"prompt":…,"chosen":…,"rejected":…}' }]
 */
import type { Row } from '../batch';
import { QaHfError } from '../errors';
import { exactKeyWasm } from '../quality/exact-key-wasm';
import { DUPLICATE_REASON, NEAR_DUPLICATE_REASON } from '../quality/rules';
import { CONTAMINATED_REASON } from '../quality/plan';
import { type FormatOptions, conversationalPreference, hasConversation } from './formats';
import { COMPLETION_SEPARATOR, CONTEXT_FIELD, PROMPT_FIELD, RESPONSE_FIELD, type Turn, conversationOf, userText } from './line-formats';
import { SCORE_COLUMN } from './route';

/** A pair's prompt and its answer, each as JSON text of the value a preference row holds. */
export interface PreferenceRenderer {
  prompt(row: Row): string;
  completion(row: Row): string;
}

function text(row: Row, field: string): string {
  const value = row[field];
  if (typeof value !== 'string') throw new TypeError(`internal: row field ${field} is ${typeof value}, not a string`);
  return value;
}

/** The prompt and completion of a pair in the form the options give (see the header). */
export function makePreferenceRenderer(options: FormatOptions): PreferenceRenderer {
  if (options.byteText) throw new QaHfError('ERR_USAGE', 'internal: preference rows are made from decoded rows, not byte text');
  const withContext = options.columns.some((column) => column.name === CONTEXT_FIELD && column.type === 'string');
  if (!conversationalPreference(options)) {
    return {
      prompt: (row) => JSON.stringify(userText(row, withContext)),
      completion: (row) => JSON.stringify(COMPLETION_SEPARATOR + text(row, RESPONSE_FIELD)),
    };
  }
  const system = options.systemPrompt;
  const withConversation = hasConversation(options.columns);
  const promptTurns = (row: Row): Turn[] => {
    const turns = withConversation ? conversationOf(row, false) : null;
    const first = turns?.findIndex((turn) => turn.role === 'assistant') ?? -1;
    const before = turns !== null && first > 0 ? turns.slice(0, first) : [{ role: 'user', content: userText(row, withContext) }];
    return system !== undefined && !before.some((turn) => turn.role === 'system') ? [{ role: 'system', content: system }, ...before] : before;
  };
  return {
    prompt: (row) => JSON.stringify(promptTurns(row)),
    completion: (row) => JSON.stringify([{ role: 'assistant', content: text(row, RESPONSE_FIELD) }]),
  };
}

/** Whether a pair goes into the preference formats: every pair but the duplicates and the contaminated ones the quality rules moved out. */
export function isPreferencePair(row: Row, passed: boolean): boolean {
  if (passed) return true;
  const reason = row.failure_reason;
  return reason !== DUPLICATE_REASON && reason !== NEAR_DUPLICATE_REASON && reason !== CONTAMINATED_REASON;
}

/** A rejected pair --decontaminate moved out (left out of kto and dpo, counted apart from the duplicates). */
export function isContaminatedPair(row: Row): boolean {
  return row.failure_reason === CONTAMINATED_REASON;
}

/** One KTO line (no newline). */
export function ktoLine(renderer: PreferenceRenderer, row: Row, passed: boolean): string {
  return `{"prompt":${renderer.prompt(row)},"completion":${renderer.completion(row)},"label":${passed}}`;
}

/** A pair's score for choosing: a finite `validation_score`, else null. */
function scoreOf(row: Row): number | null {
  const score = row[SCORE_COLUMN];
  return typeof score === 'number' && Number.isFinite(score) ? score : null;
}

interface Candidate {
  score: number | null;
  /** JSON text of the answer as the row holds it. */
  answer: string;
}

interface Group {
  split: number;
  /** JSON text of the first record's prompt. */
  prompt: string;
  chosen: Candidate | null;
  rejected: Candidate | null;
}

/** Whether `score` takes the place of `kept`: higher (`direction` 1) or lower (-1); a scored one over an unscored one; ties keep the earlier. */
function replaces(score: number | null, kept: Candidate | null, direction: 1 | -1): boolean {
  if (kept === null) return true;
  if (score === null) return false;
  if (kept.score === null) return true;
  return direction === 1 ? score > kept.score : score < kept.score;
}

/** What report.json's `preference.dpo` says of the questions. */
export interface DpoSummary {
  /** Distinct questions among the pairs taken. */
  questions: number;
  /** Questions with a passed and a rejected answer: the rows written. */
  pairs: number;
  /** Questions without both kinds (not written), and of them those with passed answers only and rejected only. */
  without_both: number;
  only_passed: number;
  only_rejected: number;
}

/** The DPO state of one run; see the header. */
export class PreferenceIndex {
  private readonly groups = new Map<string, Group>();
  private readonly key = new Uint32Array(2);

  constructor(private readonly renderer: PreferenceRenderer) {}

  /** The question's exact-dedup key (lib/quality/dedup.ts fingerprint, with an empty answer) as text. */
  private questionKey(question: string): string {
    if (!exactKeyWasm(question, '', this.key, true)) exactKeyWasm(question.normalize('NFKC').toLowerCase(), '', this.key);
    return `${this.key[0].toString(16)}.${this.key[1].toString(16)}`;
  }

  /** Takes a pair (in input order, after isPreferencePair) of split `split`; returns its resume-log lines ('' when nothing changed). */
  add(row: Row, passed: boolean, split: number): string {
    const key = this.questionKey(text(row, PROMPT_FIELD));
    let log = '';
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { split, prompt: this.renderer.prompt(row), chosen: null, rejected: null };
      this.groups.set(key, group);
      log += `${JSON.stringify(['q', key, split, group.prompt])}\n`;
    }
    const score = scoreOf(row);
    const kind = passed ? 'c' : 'r';
    if (replaces(score, passed ? group.chosen : group.rejected, passed ? 1 : -1)) {
      const candidate = { score, answer: this.renderer.completion(row) };
      if (passed) group.chosen = candidate;
      else group.rejected = candidate;
      log += `${JSON.stringify([kind, key, score, candidate.answer])}\n`;
    }
    return log;
  }

  /** Replays one resume-log line (as `add` returned it). */
  replay(line: string): void {
    const [kind, key, value, body] = JSON.parse(line) as [string, string, number | null, string];
    if (kind === 'q') {
      this.groups.set(key, { split: value!, prompt: body, chosen: null, rejected: null });
      return;
    }
    const group = this.groups.get(key);
    if (group === undefined || (kind !== 'c' && kind !== 'r')) throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `the preference log does not fit its checkpoint (${kind} ${key})`);
    if (kind === 'c') group.chosen = { score: value, answer: body };
    else group.rejected = { score: value, answer: body };
  }

  /** Questions seen so far. */
  get size(): number {
    return this.groups.size;
  }

  /** The DPO rows, questions in first-seen order: their split and line (no newline). */
  *pairs(): Generator<{ split: number; line: string }> {
    for (const group of this.groups.values()) {
      if (group.chosen === null || group.rejected === null) continue;
      yield { split: group.split, line: `{"prompt":${group.prompt},"chosen":${group.chosen.answer},"rejected":${group.rejected.answer}}` };
    }
  }

  summary(): DpoSummary {
    let pairs = 0;
    let onlyPassed = 0;
    let onlyRejected = 0;
    for (const group of this.groups.values()) {
      if (group.chosen !== null && group.rejected !== null) pairs++;
      else if (group.chosen !== null) onlyPassed++;
      else onlyRejected++;
    }
    return { questions: this.groups.size, pairs, without_both: onlyPassed + onlyRejected, only_passed: onlyPassed, only_rejected: onlyRejected };
  }
}

/** The checkpoint's `preference`: counts of the committed pairs and the dpo log's committed length. */
export interface PreferenceState {
  /** Pairs taken (passed, rejected) and rejected duplicates left out (lib/dataset/preference.ts isPreferencePair). */
  passed: number;
  rejected: number;
  duplicates_left_out: number;
  /** --decontaminate: contaminated pairs left out (absent until one is). */
  contaminated_left_out?: number;
  /** Committed bytes of the dpo log (0 without dpo). */
  log_bytes: number;
  /** dpo: the questions, once the input is done (the rows are written then). */
  dpo: DpoSummary | null;
}

export function emptyPreferenceState(): PreferenceState {
  return { passed: 0, rejected: 0, duplicates_left_out: 0, log_bytes: 0, dpo: null };
}
