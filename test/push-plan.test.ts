/**
 * lib/dataset/hub-push-plan.ts and lib/dataset/hub-push-card.ts, pure: what a push sends, deletes and
 * keeps, by the hash the Hub lists; and the card merged with the repo's, stable.
 */
import { createHash } from 'node:crypto';
import { type LocalFile, type RemoteFile, changesRepo, needsGitSha1, planPush, sameContents, shardFolders } from '../lib/dataset/hub-push-plan';
import { GENERATED_BEGIN, GENERATED_END, markGenerated, mergeCard } from '../lib/dataset/hub-push-card';
import { gitBlobSha1Of } from '../lib/io/hub-files';
import { type PlanFiles, type RunEnv, planRun } from '../lib/plan';
import { thrown } from './helpers';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A local file of `text`, with its git SHA-1 (computed independently: `git hash-object` would print it). */
function local(path: string, text: string): LocalFile {
  return { path, bytes: Buffer.byteLength(text), sha256: sha256(text), gitSha1: createHash('sha1').update(`blob ${Buffer.byteLength(text)}\0${text}`).digest('hex') };
}
const regular = (path: string, text: string): RemoteFile => ({ path, size: Buffer.byteLength(text), oid: local(path, text).gitSha1 });
const lfs = (path: string, text: string): RemoteFile => ({ path, size: Buffer.byteLength(text), oid: 'f'.repeat(40), lfs: { oid: sha256(text), size: Buffer.byteLength(text) } });

describe('contents compared by the hash the Hub lists', () => {
  test('git blob SHA-1 of known bytes (git hash-object)', () => {
    // `printf 'hello\n' | git hash-object --stdin`
    expect(gitBlobSha1Of(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(gitBlobSha1Of(Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });

  test('a regular file by its git SHA-1, an LFS file by lfs.oid (its sha256); never a sha256 against an oid', () => {
    const file = local('README.md', '# card\n');
    expect(sameContents(file, regular('README.md', '# card\n'))).toBe(true);
    expect(sameContents(file, regular('README.md', '# draC\n'))).toBe(false);
    // A regular file whose oid happened to be compared with the sha256 would always differ.
    expect(sameContents(file, { path: 'README.md', size: file.bytes, oid: file.sha256 })).toBe(false);
    expect(sameContents(file, lfs('README.md', '# card\n'))).toBe(true);
    expect(sameContents(file, lfs('README.md', '# draC\n'))).toBe(false);
    // The pointer's oid says nothing of the contents.
    expect(sameContents(file, { ...lfs('README.md', '# card\n'), oid: file.gitSha1 })).toBe(true);
  });

  test('the git SHA-1 is needed only where a regular file of that size is there', () => {
    const file = local('a.jsonl', '{}\n');
    expect(needsGitSha1(file, undefined)).toBe(false);
    expect(needsGitSha1(file, lfs('a.jsonl', '{}\n'))).toBe(false);
    expect(needsGitSha1(file, regular('a.jsonl', '{}\n\n'))).toBe(false);
    expect(needsGitSha1(file, regular('a.jsonl', '[]\n'))).toBe(true);
  });
});

describe('planPush', () => {
  const files = [
    local('README.md', 'card v2'),
    local('parquet/train-00000-of-00001.parquet', 'PAR1 v2'),
    local('jsonl/train-00000-of-00001.jsonl', '{"q":1}\n'),
    local('manifest.json', '{"v":2}'),
  ];

  test('uploads what differs, leaves what is the same, deletes qa-hf’s stale files, keeps the rest', () => {
    const remote = [
      regular('.gitattributes', '*.parquet filter=lfs\n'),
      regular('LICENSE', 'MIT\n'),
      regular('README.md', 'card v1'),
      regular('jsonl/train-00000-of-00001.jsonl', '{"q":1}\n'),
      lfs('parquet/train-00000-of-00002.parquet', 'old 0'),
      lfs('parquet/train-00001-of-00002.parquet', 'old 1'),
      regular('jsonl/notes.txt', 'mine'),
      regular('dataset_info.json', '{}'),
      regular('images/plot.png', 'PNG'),
      regular('manifest.json', '{"v":1}'),
    ];
    const plan = planPush(files, remote, ['README.md', 'dataset_info.json', 'parquet/train-00000-of-00002.parquet', 'parquet/train-00001-of-00002.parquet']);
    expect(plan.upload.map((file) => file.path)).toEqual(['README.md', 'manifest.json', 'parquet/train-00000-of-00001.parquet']);
    expect(plan.unchanged.map((file) => file.path)).toEqual(['jsonl/train-00000-of-00001.jsonl']);
    // Under a shard folder (jsonl/notes.txt too: the export's folders are qa-hf's), or listed by the repo's manifest.
    expect(plan.delete.map((file) => file.path)).toEqual(['dataset_info.json', 'jsonl/notes.txt', 'parquet/train-00000-of-00002.parquet', 'parquet/train-00001-of-00002.parquet']);
    expect(plan.keep.map((file) => file.path)).toEqual(['.gitattributes', 'LICENSE', 'images/plot.png']);
    expect(changesRepo(plan)).toBe(true);
  });

  test('a repo holding the export: nothing to upload or delete, so no commit', () => {
    const remote = files.map((file) => (file.path.endsWith('.parquet') ? lfs(file.path, 'PAR1 v2') : regular(file.path, { 'README.md': 'card v2', 'jsonl/train-00000-of-00001.jsonl': '{"q":1}\n', 'manifest.json': '{"v":2}' }[file.path]!)));
    const plan = planPush(files, [...remote, regular('LICENSE', 'MIT\n')], files.map((file) => file.path));
    expect([plan.upload, plan.delete]).toEqual([[], []]);
    expect(plan.keep.map((file) => file.path)).toEqual(['LICENSE']);
    expect(changesRepo(plan)).toBe(false);
  });

  test('the shard folders are the folders of the export’s files', () => {
    expect(shardFolders([local('README.md', ''), local('rejected/jsonl/train-00000-of-00001.jsonl', ''), local('parquet/x.parquet', '')])).toEqual(['parquet', 'rejected/jsonl']);
  });
});

describe('mergeCard', () => {
  const card = (title: string, extra = '') => markGenerated(`---\npretty_name: ${title}\nconfigs:\n- config_name: default\n${extra}---\n# ${title}\n\nRows.\n`);

  test('markGenerated puts the Markdown between the markers, the front matter before', () => {
    expect(card('A')).toBe(`---\npretty_name: A\nconfigs:\n- config_name: default\n---\n\n${GENERATED_BEGIN}\n\n# A\n\nRows.\n\n${GENERATED_END}\n`);
  });

  test('no card there: the generated one; the same card there: unchanged', () => {
    expect(mergeCard(null, card('A'))).toBe(card('A'));
    expect(mergeCard(card('A'), card('A'))).toBe(card('A'));
  });

  test('the text around the markers and the keys qa-hf does not write are kept; the generated part and keys replaced', () => {
    const edited = card('A').replace('---\npretty_name', '---\nlicense: mit\npretty_name').replace(GENERATED_BEGIN, `Intro by a person.\n\n${GENERATED_BEGIN}`) + '\n## Citation\n\nCite us.\n';
    const merged = mergeCard(edited, card('B', 'version: 2.0.0\n'));
    expect(merged).toBe(
      `---\npretty_name: B\nconfigs:\n- config_name: default\nversion: 2.0.0\nlicense: mit\n---\n\nIntro by a person.\n\n${GENERATED_BEGIN}\n\n# B\n\nRows.\n\n${GENERATED_END}\n\n## Citation\n\nCite us.\n`,
    );
    // Stable: merging again changes nothing (a push of an unchanged export makes no commit).
    expect(mergeCard(merged, card('B', 'version: 2.0.0\n'))).toBe(merged);
    // A key the new card no longer writes cannot be told from a user's: it stays.
    expect(mergeCard(merged, card('C'))).toContain('version: 2.0.0\nlicense: mit\n');
  });

  test('a card without the markers: a user’s text kept below; qa-hf’s own unedited card replaced', () => {
    const user = '---\nlicense: mit\n---\n# My dataset\n\nHand-written.\n';
    expect(mergeCard(user, card('A'))).toBe(`---\npretty_name: A\nconfigs:\n- config_name: default\nlicense: mit\n---\n\n${GENERATED_BEGIN}\n\n# A\n\nRows.\n\n${GENERATED_END}\n\n# My dataset\n\nHand-written.\n`);
    expect(mergeCard('---\npretty_name: A\n---\n# A\n\nOld rows.\n', card('A'), { ownedBefore: true })).toBe(card('A'));
    // CRLF line ends and a card without front matter are read too.
    expect(mergeCard('Notes.\r\n', card('A'))).toBe(`${card('A')}\nNotes.\n`);
  });
});

describe('export --out hf://datasets/OWNER/NAME, as planned (lib/plan.ts)', () => {
  const ENV: RunEnv = { vars: {}, cwd: '/work/here' };
  const FILES: PlanFiles = { presets: {} };
  const exportPlan = (flags: Record<string, unknown>) => planRun('export', { inputs: ['qa/'], ...flags }, null, ENV, FILES);

  test('the repo parsed once; the card loads it; local inputs named from the working directory; a dry run never looks at it', () => {
    const plan = exportPlan({ out: 'hf://datasets/me/qa' });
    expect(plan.target).toEqual({ kind: 'hub', url: 'hf://datasets/me/qa', repo: 'me/qa' });
    expect(plan.args).toMatchObject({ hubRepo: 'me/qa', inputBase: '/work/here' });
    expect(exportPlan({ out: 'hf://datasets/me/qa', dryRun: true }).target).toBeNull();
  });

  test.each([
    [{ out: 'hf://me/qa' }, /^--out hf:\/\/… must name a dataset repo: hf:\/\/datasets\/OWNER\/NAME/],
    [{ out: 'hf://datasets/me/qa/data' }, /^--out hf:\/\/… must name a dataset repo/],
    [{ out: 'hf://datasets/me/qa', version: '1.0.0' }, /^--version with --out hf:\/\/datasets\/me\/qa: export the version to a folder \(--out DIR --version 1\.0\.0\), then qa-hf push DIR\/v1\.0\.0 --repo me\/qa$/],
    [{ out: 'hf://datasets/me/qa', rank: '0', worldSize: '2' }, /^ranks write to a folder or s3:\/\/, not to hf:\/\/datasets\/me\/qa/],
  ])('%j is one usage line', (flags, message) => {
    const error = thrown(() => exportPlan(flags));
    expect(error.code).toBe('ERR_USAGE');
    expect(error.message).toMatch(message);
  });

  test('merge and verify take no hf:// URL', () => {
    expect(thrown(() => planRun('verify', { dir: 'hf://datasets/me/qa' }, null, ENV, FILES)).message).toMatch(/^verify takes a folder or s3:\/\/, not hf:\/\/datasets\/me\/qa/);
    expect(thrown(() => planRun('merge', { dir: 'hf://datasets/me/qa' }, null, ENV, FILES)).message).toMatch(/^merge works on a folder or s3:\/\//);
  });
});
