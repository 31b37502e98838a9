/**
 * hub-files — the export's files as `qa-hf push` sends them: their git blob SHA-1
 * (the `oid` the Hub lists for a regular file) and their contents as a Blob the
 * client reads when it uploads (fs.openAsBlob: read from disk as it goes, never
 * held in memory whole).
 *
 *   await gitBlobSha1('dist/README.md') // '3b18e512dba79e4c8300dd08aeb37f8e728b8dad'
 */
import { createHash } from 'node:crypto';
import { createReadStream, openAsBlob } from 'node:fs';
import { promises as fs } from 'node:fs';

/** git's object id of a file's contents: sha1 of `blob <size>\0` and the bytes. */
export async function gitBlobSha1(file: string): Promise<string> {
  const { size } = await fs.stat(file);
  const hash = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** git's object id of bytes held in memory. */
export function gitBlobSha1Of(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** A file's contents as a Blob read from disk when the client reads it. */
export function fileBlob(file: string): Promise<Blob> {
  return openAsBlob(file);
}

/** sha256 of bytes held in memory (hex), as the manifest writes it. */
export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
