/** The progress line: fits the terminal, drops whole fields, follows a resize, hidden by -q. */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { generateRecords } from '../bench/generate';
import { Progress, type ProgressState, layoutProgress, progressEnabled, progressFields } from '../commands/progress';
import { emptyCounts } from '../lib/tally';
import { CLI, ROOT, runCli } from './helpers';

/** The example and the extremes: nothing known yet, huge counts, one of each. */
const STATES: Array<[string, ProgressState]> = [
  ['mid-run', { doneBytes: 177.2e6, totalBytes: 521.7e6, rate: 48.3e6, counts: { pairs: 1234567, rejected: 23456, errors: 789 } }],
  ['start', { doneBytes: 0, totalBytes: 5.3e6, rate: 0, counts: { pairs: 0, rejected: 0, errors: 0 } }],
  ['huge', { doneBytes: 9876.5e9, totalBytes: 12345.6e9, rate: 0.1e6, counts: { pairs: 987654321, rejected: 12345678, errors: 1234567 } }],
  ['one', { doneBytes: 1, totalBytes: 1, rate: 1e6, counts: { pairs: 1, rejected: 1, errors: 1 } }],
];
const WIDTHS = [40, 60, 80, 100, 120, 200];
/** What each whole field looks like, in display order. */
const FIELD_PATTERNS: Array<[string, RegExp]> = [
  ['label', /^qa-hf$/],
  ['bar', /^[█░]{10,40}$/],
  ['percent', /^\d{1,3}%$/],
  ['bytes', /^\d+(\.\d [kM])? ?B of \d+(\.\d [kM])? ?B$/],
  ['rate', /^\d+(\.\d [kM])? ?B\/s$/],
  ['eta', /^ETA (\d+s|\d+m\d\ds|\d+h\d\dm|--)$/],
  ['counts', /^\d+ pairs?, \d+ rejected, \d+ errors?$/],
];
const PRIORITY = new Map(progressFields(STATES[0][1]).map((field) => [field.name, field.priority]));

/**
 * The names of the fields a drawn line shows. Every piece must be one whole field
 * (a cut one matches no pattern), in display order, and the fields kept must be
 * the most important ones: none shown while a more important one is missing.
 */
function fieldsShown(line: string): string[] {
  const [head, ...rest] = line.split(' | ');
  const pieces = [...head.split(' '), ...rest];
  const shown: string[] = [];
  let next = 0;
  for (const piece of pieces) {
    while (next < FIELD_PATTERNS.length && !FIELD_PATTERNS[next][1].test(piece)) next++;
    if (next === FIELD_PATTERNS.length) throw new Error(`${JSON.stringify(piece)} in ${JSON.stringify(line)} is no whole field, or out of order`);
    shown.push(FIELD_PATTERNS[next++][0]);
  }
  const worstShown = Math.max(...shown.map((name) => PRIORITY.get(name)!));
  for (const [name, priority] of PRIORITY) if (!shown.includes(name)) expect(priority).toBeGreaterThan(worstShown);
  return shown;
}

describe('layoutProgress', () => {
  const cases = STATES.flatMap(([name, state]) => WIDTHS.map((width) => [name, width, state] as const));
  test.each(cases)('%s at %i columns: fits, every field whole, least important dropped first', (_name, width, state) => {
    const line = layoutProgress(progressFields(state), width);
    expect(line.length).toBeLessThanOrEqual(width);
    const shown = fieldsShown(line);
    expect(shown).toContain('percent');
    if (width >= 120 && _name !== 'huge') expect(shown).toEqual(['label', 'bar', 'percent', 'bytes', 'rate', 'eta', 'counts']);
  });

  test.each([
    [200, 'qa-hf ██████████████░░░░░░░░░░░░░░░░░░░░░░░░░░ 33% | 177.2 MB of 521.7 MB | 48.3 MB/s | ETA 8s | 1234567 pairs, 23456 rejected, 789 errors'],
    [120, 'qa-hf ███████░░░░░░░░░░░░░░░ 33% | 177.2 MB of 521.7 MB | 48.3 MB/s | ETA 8s | 1234567 pairs, 23456 rejected, 789 errors'],
    [80, 'qa-hf █████████░░░░░░░░░░░░░░░░░ 33% | 177.2 MB of 521.7 MB | 48.3 MB/s | ETA 8s'],
    [60, 'qa-hf █████░░░░░░░░░░ 33% | 177.2 MB of 521.7 MB | 48.3 MB/s'],
    [40, '████░░░░░░░░░ 33% | 177.2 MB of 521.7 MB'],
    [30, '33% | 177.2 MB of 521.7 MB'],
    [10, '33%'],
    [2, ''],
  ])('the issue example at %i columns, exactly', (width, expected) => {
    expect(layoutProgress(progressFields(STATES[0][1]), width)).toBe(expected);
  });

  test('counts and words are singular for one', () => {
    expect(layoutProgress(progressFields(STATES[3][1]), 200)).toMatch(/\| 1 pair, 1 rejected, 1 error$/);
  });
});

describe('progressEnabled', () => {
  test.each([
    [{ quiet: false }, true, true],
    [{ quiet: false }, false, false],
    [{ quiet: false, progress: true }, false, true],
    [{ quiet: false, progress: false }, true, false],
    [{ quiet: true }, true, false],
    [{ quiet: true, progress: true }, true, false],
    [{ quiet: true, progress: true }, false, false],
  ])('%p with a TTY %p: %p', (options, isTTY, enabled) => {
    expect(progressEnabled(options, { isTTY })).toBe(enabled);
  });
});

/** A stand-in for a terminal: collects what is written, with a width that can change. */
function fakeTerminal(columns: number): { stream: NodeJS.WriteStream; frames: () => string[] } {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      written += chunk.toString();
      callback();
    },
  }) as unknown as NodeJS.WriteStream & { columns: number };
  Object.assign(stream, { isTTY: true, columns });
  // Each redraw is cursor-to-column-1, the line, clear-to-end-of-line.
  // eslint-disable-next-line no-control-regex -- the ANSI escapes of the progress line are the subject
  return { stream, frames: () => [...written.matchAll(/\x1b\[1G([^\x1b]*)\x1b\[0K/g)].map((match) => match[1]) };
}

describe('Progress', () => {
  test('reads the width at every redraw: a terminal narrowed mid-run gets shorter lines', () => {
    const terminal = fakeTerminal(120);
    const progress = new Progress(521.7e6, 0, true, terminal.stream);
    terminal.stream.columns = 50;
    progress.update(177.2e6, { ...emptyCounts(), pairs: 5 });
    progress.stop();
    const frames = terminal.frames();
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0]).toMatch(/^qa-hf [█░]+ 0% \| 0\.0 MB of 521\.7 MB/);
    expect(frames[0].length).toBeLessThan(120);
    expect(frames[0].length).toBeGreaterThan(49);
    const last = frames[frames.length - 1];
    expect(last.length).toBeLessThan(50);
    expect(last).toMatch(/ 33% \| 177\.2 MB of 521\.7 MB/);
  });

  test('disabled, it writes nothing', () => {
    const terminal = fakeTerminal(80);
    const progress = new Progress(100, 0, false, terminal.stream);
    progress.update(50, emptyCounts());
    progress.stop();
    expect(terminal.frames()).toEqual([]);
  });
});

describe('qa-hf export progress', () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-progress-'));
    input = path.join(dir, 'in.jsonl');
    // ~5 MB: with checkpoints every 64 KiB the export lasts long enough for a few frames.
    await fs.writeFile(input, `${[...generateRecords(4000, 7)].join('\n')}\n`);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('--progress to a file: log lines; -q hides them, also over --progress', async () => {
    const shown = await runCli(['export', input, '--out', path.join(dir, 'logged'), '--progress']);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/^qa-hf [█░]+ 100% \| 5\.3 MB of 5\.3 MB \| [\d.]+ MB\/s \| ETA 0s \| 3428 pairs, 572 rejected, 0 errors$/m);
    const quiet = await runCli(['export', input, '--out', path.join(dir, 'quiet'), '--progress', '-q']);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
  });

  /**
   * Runs the export in a real pseudo-terminal of `columns` columns (util-linux
   * `script`; a missing `script` fails the test) and returns the frames drawn.
   */
  function framesInTerminal(columns: number, out: string): string[] {
    const command = `stty cols ${columns} rows 24; exec node ${CLI} export ${input} --out ${out} --checkpoint-bytes 65536`;
    const run = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/qa-hf: 4000 lines read: 3428 pairs, 572 rejected, 0 errors, 0 blank/);
    // eslint-disable-next-line no-control-regex -- the ANSI escapes of the progress line are the subject
    return [...run.stdout.matchAll(/\x1b\[1G([^\x1b]*)\x1b\[0K/g)].map((match) => match[1]);
  }

  test.each([
    [80, ['label', 'bar', 'percent', 'bytes', 'rate', 'eta']],
    [120, ['label', 'bar', 'percent', 'bytes', 'rate', 'eta', 'counts']],
  ])('in a %i-column terminal every frame fits and no field is cut', (columns, lastFields) => {
    const frames = framesInTerminal(columns, path.join(dir, `tty-${columns}`));
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const frame of frames) {
      expect(frame.length).toBeLessThan(columns);
      expect(fieldsShown(frame)).toEqual(expect.arrayContaining(['percent', 'bytes']));
    }
    const last = frames[frames.length - 1];
    expect(last).toMatch(/ 100% \| 5\.3 MB of 5\.3 MB \|/);
    expect(fieldsShown(last)).toEqual(lastFields);
  });
});
