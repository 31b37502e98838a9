/** The quality report across a SIGKILL: its state rides in the checkpoint, and the resumed export ends with the same report bytes. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJson, recordLines, runCli, runCliKilledAtCheckpoint } from './helpers';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-report-resume-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('kill and resume', () => {
  test('SIGKILL mid-file, resume: byte-identical report.json and report.html', async () => {
    const corpus = path.join(dir, 'big', 'qa.jsonl');
    await fs.mkdir(path.dirname(corpus));
    await fs.writeFile(corpus, `${recordLines(6000, 99).join('\n')}\n`);
    const args = (out: string) => ['export', corpus, '--out', out, '--quiet', '--checkpoint-bytes', '65536', '--checkpoint-ms', '5'];
    // The same folder name: report.html's title is the folder's name.
    const reference = path.join(dir, 'reference-run', 'big');
    expect((await runCli(args(reference))).code).toBe(0);
    const out = path.join(dir, 'killed-run', 'big');
    await runCliKilledAtCheckpoint(args(out), out, true);
    const checkpoint = await readJson(path.join(out, '.qa-hf-checkpoint.json'));
    expect(checkpoint.position.offset).toBeGreaterThan(0);
    expect(checkpoint.report.groups[0].records).toBeGreaterThan(0);
    // The rejected rows' reasons counted before the kill ride in the checkpoint too.
    expect(checkpoint.report.rejected_reasons.length).toBeGreaterThan(0);
    expect((await runCli(args(out))).code).toBe(0);
    for (const name of ['report.json', 'report.html']) {
      expect((await fs.readFile(path.join(out, name))).equals(await fs.readFile(path.join(reference, name)))).toBe(true);
    }
  });
});
