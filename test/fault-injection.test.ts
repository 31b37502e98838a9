/**
 * Faults injected into the file layer, in-process, so they run everywhere: ENOSPC,
 * EIO and EROFS on write, on fsync and on rename, for AtomicFile and for the sink's
 * path outputs. Each gives the right code (ERR_NO_SPACE for ENOSPC, ERR_IO
 * otherwise) in one line naming the final file; nothing partial appears under the
 * final name (a previous file there stays as it was) and the temp file is removed.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { Batch } from '../lib/batch';
import { AtomicFile, NODE_FILE_SYSTEM, writeFileAtomic, type FileSystem } from '../lib/io/atomic-file';
import { QaHfError } from '../lib/errors';
import { createSink } from '../streams/sink';
import { runChain } from '../streams/chain';
import { listFiles } from './helpers';

type Operation = 'write' | 'fsync' | 'rename';
type Fault = 'ENOSPC' | 'EIO' | 'EROFS';

const WORDS: Record<Fault, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
};

/** Node's own shape of a system error, naming the (temp) path it failed on. */
function systemError(code: Fault, syscall: string, file?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${WORDS[code]}, ${syscall}${file ? ` '${file}'` : ''}`), { code, syscall, path: file });
}

/** The real file layer, except that `operation` fails with `code`. */
function faulty(operation: Operation, code: Fault): FileSystem {
  return {
    ...NODE_FILE_SYSTEM,
    async open(file, flags, mode) {
      const handle = await NODE_FILE_SYSTEM.open(file, flags, mode);
      return {
        write: (buffer, offset, length, position) =>
          operation === 'write' ? Promise.reject(systemError(code, 'write')) : handle.write(buffer, offset, length, position),
        sync: () => (operation === 'fsync' ? Promise.reject(systemError(code, 'fsync')) : handle.sync()),
        datasync: () => (operation === 'fsync' ? Promise.reject(systemError(code, 'fdatasync')) : handle.datasync()),
        truncate: (length) => handle.truncate(length),
        stat: () => handle.stat(),
        close: () => handle.close(),
      };
    },
    rename: (from, to) => (operation === 'rename' ? Promise.reject(systemError(code, 'rename', from)) : NODE_FILE_SYSTEM.rename(from, to)),
  };
}

const CASES: Array<[Operation, Fault, string]> = [];
for (const operation of ['write', 'fsync', 'rename'] as const) {
  for (const fault of ['ENOSPC', 'EIO', 'EROFS'] as const) CASES.push([operation, fault, fault === 'ENOSPC' ? 'ERR_NO_SPACE' : 'ERR_IO']);
}

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-faults-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function expectOneLine(error: unknown, code: string, fault: Fault, file: string): void {
  expect(error).toBeInstanceOf(QaHfError);
  expect((error as QaHfError).toLine()).toBe(`${file}: ${code}: cannot write output: ${WORDS[fault]} (${fault})`);
}

describe('AtomicFile under injected faults', () => {
  test.each(CASES)('%s fails with %s: %s in one line, the old file intact, the temp file removed by abort', async (operation, fault, code) => {
    expect.assertions(4);
    const final = path.join(dir, 'x.jsonl');
    await fs.writeFile(final, 'old\n');
    const file = await AtomicFile.open(final, { fs: faulty(operation, fault) });
    try {
      await file.write(Buffer.from('new\n'));
      await file.commit();
    } catch (error) {
      expectOneLine(error, code, fault, final);
    } finally {
      await file.abort();
    }
    expect(await fs.readFile(final, 'utf8')).toBe('old\n');
    expect(await listFiles(dir)).toEqual(['x.jsonl']);
  });

  test.each(CASES)('writeFileAtomic: %s fails with %s: %s, no file under the final name, no temp file', async (operation, fault, code) => {
    expect.assertions(3);
    const final = path.join(dir, 'state.json');
    await writeFileAtomic(final, '{}\n', { fs: faulty(operation, fault) }).catch((error) => expectOneLine(error, code, fault, final));
    expect(await listFiles(dir)).toEqual([]);
  });

  test('sync (the checkpoint fsync) failing is one line naming the final file', async () => {
    expect.assertions(2);
    const final = path.join(dir, 'x.jsonl');
    const file = await AtomicFile.open(final, { fs: faulty('fsync', 'EIO') });
    await file.write(Buffer.from('a\n'));
    await file.sync().catch((error) => expectOneLine(error, 'ERR_IO', 'EIO', final));
    await file.abort();
  });
});

describe('sink path outputs under injected faults', () => {
  function batch(errors: string): Batch {
    return { file: 'f', entries: [], endOffset: 0, endLine: 0, fileEnd: false, output: { pairs: 'p\n', rejected: 'r\n', errors }, stop: null };
  }

  test.each(CASES)('%s fails with %s: the run ends with %s in one line naming the output as given; no partial or temp file', async (operation, fault, code) => {
    expect.assertions(4);
    const rejected = path.join(dir, 'rejected.jsonl');
    const errors = path.join(dir, 'errors.jsonl');
    await fs.writeFile(errors, 'old\n');
    const source = Readable.from([batch('e1\n'), batch('e2\n')], { objectMode: true });
    await runChain([source, createSink({ outputs: { rejected, errors }, fs: faulty(operation, fault) })]).catch((error) =>
      expectOneLine(error, code, fault, rejected),
    );
    expect(await fs.readFile(errors, 'utf8')).toBe('old\n');
    expect(await listFiles(dir)).toEqual(['errors.jsonl']);
  });

  test('through a symlink, the message names the link as given, not the temp file', async () => {
    expect.assertions(3);
    await fs.symlink('real.jsonl', path.join(dir, 'link'));
    const errors = path.join(dir, 'link');
    const source = Readable.from([batch('e1\n')], { objectMode: true });
    await runChain([source, createSink({ outputs: { errors }, fs: faulty('rename', 'ENOSPC') })]).catch((error) =>
      expectOneLine(error, 'ERR_NO_SPACE', 'ENOSPC', errors),
    );
    expect(await listFiles(dir)).toEqual(['link']);
  });
});
