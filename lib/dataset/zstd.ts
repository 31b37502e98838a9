/**
 * zstd — the zstd-napi native addon, loaded on first use only, so a run that never
 * writes zstd never loads it and a failed build of the addon is one clear line.
 *
 *   loadZstd('write zstd').compress(bytes, { compressionLevel: 3 })
 *   zstdLibrary() // 'zstd-napi@0.0.13 (zstd 1.5.7)': shapes the bytes, so part of the options hash
 */
import * as path from 'node:path';
import { QaHfError, toQaHfError } from '../errors';

type Zstd = typeof import('zstd-napi');

let zstd: Zstd | undefined;

/** The zstd-napi module; `purpose` completes the error line (`cannot write zstd: …`). */
export function loadZstd(purpose: string): Zstd {
  if (!zstd) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon, loaded only when zstd is used
      zstd = require('zstd-napi') as Zstd;
    } catch (err) {
      throw new QaHfError('ERR_USAGE', `cannot ${purpose}: the zstd-napi module failed to load (${toQaHfError(err).message})`);
    }
  }
  return zstd;
}

let library: string | undefined;

/** `zstd-napi@x.y.z (zstd a.b.c)`: the encoder whose bytes a resume must reproduce. */
export function zstdLibrary(): string {
  if (library === undefined) {
    loadZstd('write zstd');
    const entry = require.resolve('zstd-napi');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json and the binding by absolute path
    const pkg = require(path.join(path.dirname(entry), '..', 'package.json')) as { version: string };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(path.join(path.dirname(entry), '..', 'binding')) as { versionString(): string };
    library = `zstd-napi@${pkg.version} (zstd ${binding.versionString()})`;
  }
  return library;
}
