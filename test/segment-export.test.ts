/**
 * Segmentation end to end, through the export command with the `segment` option
 * as plain data (test/export-runner.ts): the Swedish and English samples to exact
 * bytes, the counts (a line counted once, `no_segments`), the dead letter, the chat
 * formats with context; then a seeded corpus of documents: --workers 0 and 2 give
 * the same bytes, and a run SIGKILLed at a checkpoint inside an input and run again
 * gives the bytes of the uninterrupted one, in the simple and the Hub layout.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dataFiles, runExport } from './export-runner';
import { ROOT, readJson, seeded } from './helpers';

const SPEC = JSON.parse(readFileSync(path.join(ROOT, 'samples/segment/segment.json'), 'utf8'));
const SAMPLES = ['samples/segment/docs-sv.jsonl', 'samples/segment/docs-en.jsonl'];

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-segment-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the samples', () => {
  test('simple layout: one row per segment, exact bytes; every line counted once; a non-string text in the dead letter', async () => {
    const out = path.join(dir, 'out');
    const run = await runExport({ inputs: SAMPLES, out, preset: 'segments', segment: SPEC });
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(await fs.readFile(path.join(out, 'qa_pairs.jsonl'), 'utf8')).toBe(
      [
        '{"question":"Vad innebär NEWS2-poäng 5?","answer":"En poäng på 5 eller mer kräver bedömning av läkare inom en timme.","context":"Riktlinje för bedömning med NEWS2.","offset":36}',
        '{"question":"Hur ofta ska vitalparametrar mätas?","answer":"Vid poäng 1–4 minst var fjärde timme, vid högre poäng oftare.","context":"","offset":143}',
        '{"question":"Får paracetamol ges till barn?","answer":"Ja, i viktanpassad dos enligt FASS och barnets ålder.","context":"Läkemedel 🩺","offset":12}',
        '{"question":"What does a NEWS2 score of 5 mean?","answer":"A score of 5 or more needs an urgent review by a clinician within the hour.","context":"","offset":0}',
        '{"question":"How often are observations taken?","answer":"At least every four hours for a score of 1 to 4, more often above that.","context":"","offset":130}',
        '{"question":"What is the first step in a fluid assessment?","answer":"Look at intake, output, weight and the mucous membranes.","context":"Background on fluids.","offset":22}',
        '{"question":"And the next?","answer":"Check the blood pressure lying and standing, then the pulse.","context":"","offset":143}',
        '',
      ].join('\n'),
    );
    expect(await fs.readFile(path.join(out, 'qa_rejected.jsonl'), 'utf8')).toBe('');
    expect(await fs.readFile(path.join(out, 'qa_errors.jsonl'), 'utf8')).toBe(
      '{"file":"samples/segment/docs-sv.jsonl","line":4,"offset":699,"code":"ERR_SCHEMA","error":"segment field \\"text\\" must be a string, got a number","raw":"{\\"id\\": \\"sv-4\\", \\"title\\": \\"Trasig\\", \\"text\\": 42}"}\n',
    );
    const stats = await readJson(path.join(out, 'stats.json'));
    expect(stats.counts).toEqual({
      lines: 8,
      pairs: 0,
      rejected: 0,
      errors: 1,
      blank: 1,
      segmented: 6,
      no_segments: 2,
      segment_pairs: 7,
      segment_rejected: 0,
      errors_by_code: { ERR_SCHEMA: 1 },
    });
    expect(stats.inputs.map((input: { segmented: number; no_segments: number }) => [input.segmented, input.no_segments])).toEqual([
      [3, 1],
      [3, 1],
    ]);
    const manifest = await readJson(path.join(out, 'manifest.json'));
    expect(manifest.outputs.find((o: { path: string }) => o.path === 'qa_pairs.jsonl').records).toBe(7);
  });

  test('the summary line: a line counted once, as "segmented into N pairs"', async () => {
    const run = await runExport({ inputs: SAMPLES, out: path.join(dir, 'out'), preset: 'segments', segment: SPEC, quiet: false });
    expect(run.stderr.split('\n')[0]).toBe('qa-hf: 8 lines read: 0 pairs, 0 rejected, 1 error (ERR_SCHEMA 1), 1 blank, 6 segmented into 7 pairs and 0 rejected (2 without segments)');
  });

  test('Hub layout: the chat formats put the context before the question; prompt-completion too', async () => {
    const out = path.join(dir, 'hub');
    const run = await runExport({ inputs: [SAMPLES[1]], out, preset: 'segments', segment: SPEC, format: 'jsonl,messages,alpaca,prompt-completion' });
    expect([run.code, run.stderr]).toEqual([0, '']);
    const first = async (folder: string) => (await fs.readFile(path.join(out, folder, 'train-00000-of-00001.jsonl'), 'utf8')).split('\n')[2];
    const context = 'Background on fluids.';
    const question = 'What is the first step in a fluid assessment?';
    const answer = 'Look at intake, output, weight and the mucous membranes.';
    expect(JSON.parse(await first('messages'))).toEqual({
      messages: [
        { role: 'user', content: `${context}\n\n${question}` },
        { role: 'assistant', content: answer },
      ],
    });
    expect(JSON.parse(await first('alpaca'))).toEqual({ instruction: question, input: context, output: answer });
    expect(await first('prompt-completion')).toBe(`{"prompt":${JSON.stringify(`${context}\n\n${question}`)},"completion":${JSON.stringify(` ${answer}`)}}`);
    const card = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain('- config_name: prompt-completion\n  features:\n  - name: prompt\n    dtype: string\n  - name: completion\n    dtype: string\n');
  });

  test('a bad pattern: one ERR_CONFIG line with its pointer, exit 2, nothing written', async () => {
    const out = path.join(dir, 'bad');
    const run = await runExport({ inputs: SAMPLES, out, preset: 'segments', segment: { ...SPEC, output: ['(?:Answer|Svar'] } });
    expect([run.code, run.stderr]).toEqual([2, 'qa-hf: /segment/output/0: ERR_CONFIG: invalid regular expression: /(?:Answer|Svar/gsu: Unterminated group\n']);
    await expect(fs.access(out)).rejects.toThrow();
  });

  test('segment with the qa-internal preset is refused before anything is read', async () => {
    const run = await runExport({ inputs: SAMPLES, out: path.join(dir, 'x'), preset: 'qa-internal', segment: SPEC });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('qa-hf: ERR_OPTION: option segment needs a mapping of segments (instruction, context, output, offset): preset segments or a mapping, got preset "qa-internal"\n');
  });
});

/** A seeded corpus of documents: 0–3 segments each, some without any, some bad lines and blanks, non-ASCII text. */
async function corpus(file: string, count: number, seed: number): Promise<void> {
  const random = seeded(seed);
  const words = ['vård', 'patient', 'läkemedel', 'dos', '🩺', 'blodtryck', 'smärta', 'åtgärd', 'fluid', 'score'];
  const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(' ');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    if (roll < 0.02) lines.push('{"id": broken');
    else if (roll < 0.04) lines.push('');
    else {
      const parts = [text(5)];
      const segments = Math.floor(random() * 4);
      for (let s = 0; s < segments; s++) {
        const label = random() < 0.5 ? ['Fråga', 'Svar'] : ['Question', 'Answer'];
        parts.push(`${label[0]}: ${text(4)}?\n${label[1]}: ${text(8 + Math.floor(random() * 20))}`);
      }
      lines.push(JSON.stringify({ id: `d${i}`, text: parts.join('\n\n') }));
    }
  }
  await fs.writeFile(file, lines.join('\n') + '\n');
}

describe.each([
  ['simple', {}],
  ['hub', { format: 'jsonl,prompt-completion,parquet', split: 'train=0.8,test=0.2', compress: 'gzip' }],
])('a corpus of documents, %s layout', (_layout, layoutArgs) => {
  test('--workers 0 and 2 give the same bytes; SIGKILLed at a checkpoint inside an input and run again: the same bytes too', async () => {
    const inputs = [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')];
    await corpus(inputs[0], 1500, 7);
    await corpus(inputs[1], 900, 8);
    const args = { inputs, preset: 'segments', segment: SPEC, checkpointLines: 150, ...layoutArgs };
    // Every run writes to a folder named `dataset`: the card names it.
    const reference = path.join(dir, 'w0', 'dataset');
    expect((await runExport({ ...args, out: reference, workers: 0 })).code).toBe(0);
    const expected = await dataFiles(reference);
    const stats = await readJson(path.join(reference, 'stats.json'));
    expect(stats.counts.segmented).toBeGreaterThan(2000);
    expect(stats.counts.no_segments).toBeGreaterThan(300);
    expect(stats.counts.lines).toBe(2400);
    expect(stats.counts.segment_pairs).toBeGreaterThan(stats.counts.segmented);

    const threads = path.join(dir, 'w2', 'dataset');
    expect((await runExport({ ...args, out: threads, workers: 2 })).code).toBe(0);
    expect(await dataFiles(threads)).toEqual(expected);

    const killed = path.join(dir, 'killed', 'dataset');
    const first = await runExport({ ...args, out: killed, workers: 2 }, { killAtCheckpointIn: killed });
    expect(first.signal).toBe('SIGKILL');
    const again = await runExport({ ...args, out: killed, workers: 2, quiet: false });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^qa-hf: resuming the interrupted export in .* at .*a\.jsonl line \d+/);
    expect(await dataFiles(killed)).toEqual(expected);
    const resumedStats = await readJson(path.join(killed, 'stats.json'));
    delete resumedStats.run;
    delete stats.run;
    expect(resumedStats).toEqual(stats);
  });
});
