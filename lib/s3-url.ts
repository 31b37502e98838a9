/**
 * s3-url — `s3://bucket/key…` names, pure: no SDK, no network (that is lib/io/s3.ts).
 *
 * An input list may mix local paths and S3 URLs; whatever takes a path asks
 * `isS3Url` first. A URL is `s3://BUCKET` or `s3://BUCKET/KEY`; a key ending in
 * `/` (or none) is a prefix, a "folder" of objects.
 *
 *   parseS3Url('s3://corpus/qa/2024/')   // { bucket: 'corpus', key: 'qa/2024/' }
 *   objectUrl('corpus', 'qa/a.jsonl')    // 's3://corpus/qa/a.jsonl'
 *   prefixOf('s3://corpus/dist')         // { bucket: 'corpus', prefix: 'dist/' }
 *   parseS3Prefix('s3://corpus/dist')    // { url: 's3://corpus/dist', bucket: 'corpus', prefix: 'dist/', name: 'dist' }
 *
 * An output prefix (export --out, merge, verify) is parsed once, by the plan
 * (lib/plan.ts), into an `S3Prefix`; what writes or reads under it takes that value.
 */
import { QaHfError, got, optionError } from './errors';

export const S3_SCHEME = 's3://';

export interface S3Location {
  bucket: string;
  /** The key (may be '' for the bucket itself, or end in '/' for a prefix). */
  key: string;
}

/** How requests name the bucket: in the path (`host/bucket/key`) or in the host (`bucket.host/key`). */
export type S3UrlStyle = 'path' | 'vhost';
export const S3_URL_STYLES: readonly S3UrlStyle[] = ['path', 'vhost'];

export function isS3Url(value: string): boolean {
  return value.startsWith(S3_SCHEME);
}

/**
 * Bucket names as S3 allows them (3–63 of a-z, 0-9, '.', '-'; GCS allows '_' too).
 * A typo is caught here with one line, not as a signature error from the server.
 */
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

export function parseS3Url(url: string): S3Location {
  if (!isS3Url(url)) throw new QaHfError('ERR_USAGE', `not an s3:// URL, ${got(url)}`);
  const rest = url.slice(S3_SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) throw new QaHfError('ERR_USAGE', `an s3:// URL needs a bucket name (3-63 of a-z, 0-9, '.', '-'), ${got(url)}`);
  if (key.includes('//') || key.startsWith('/')) throw new QaHfError('ERR_USAGE', `an s3:// key may not hold an empty path segment, ${got(url)}`);
  return { bucket, key };
}

export function objectUrl(bucket: string, key: string): string {
  return `${S3_SCHEME}${bucket}/${key}`;
}

/** A URL taken as a folder: its key with one trailing '/' ('' for the bucket's root). */
export function prefixOf(url: string): { bucket: string; prefix: string } {
  const { bucket, key } = parseS3Url(url);
  return { bucket, prefix: key === '' || key.endsWith('/') ? key : `${key}/` };
}

/** The last path segment of a prefix URL (an export's name: the card's title), or the bucket. */
export function prefixName(url: string): string {
  return parseS3Prefix(url).name;
}

/** An s3:// URL taken as a folder, parsed once: the URL as named (messages and the staging folder's hash use it), its bucket and key prefix. */
export interface S3Prefix {
  readonly url: string;
  readonly bucket: string;
  /** '' for the bucket's root, else ending in '/'. */
  readonly prefix: string;
  /** The last segment of the prefix, or the bucket: the export's name (its staging folder's and card's). */
  readonly name: string;
}

/** Parses `url` as a prefix (ERR_USAGE for a URL without a valid bucket). */
export function parseS3Prefix(url: string): S3Prefix {
  const { bucket, prefix } = prefixOf(url);
  const parts = prefix.split('/').filter((part) => part !== '');
  return Object.freeze({ url, bucket, prefix, name: parts.length > 0 ? parts[parts.length - 1] : bucket });
}

/** The prefix of a folder under `at` (a version's `PREFIX/v1.0.0`), its URL written as `URL/folder`. */
export function subPrefix(at: S3Prefix, folder: string): S3Prefix {
  const url = `${at.url.replace(/\/+$/, '')}/${folder}`;
  return Object.freeze({ url, bucket: at.bucket, prefix: `${at.prefix}${folder}/`, name: folder });
}

/** The URL of the object `key` under a prefix. */
export function urlUnder(at: S3Prefix, key: string): string {
  return objectUrl(at.bucket, `${at.prefix}${key}`);
}

/** --s3-url-style, checked like every option (one line naming it). */
export function s3UrlStyleOption(value: unknown): S3UrlStyle | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (S3_URL_STYLES as readonly string[]).includes(value)) return value as S3UrlStyle;
  throw optionError('s', `--s3-url-style must be path or vhost, ${got(value)}`);
}
