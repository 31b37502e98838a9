/**
 * s3 — every request qa-hf makes to S3 or an S3-compatible store (GCS's XML API,
 * MinIO, s3rver), through one client (AWS SDK v3), and every failure as one line.
 *
 * The client comes from the standard AWS environment and config: region
 * (AWS_REGION, the profile), credentials (env, profile, SSO, instance role),
 * endpoint (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL). With a custom endpoint
 * buckets are addressed in the path (`host/bucket/key`, what S3-compatible stores
 * expect), otherwise in the host name (AWS); `--s3-url-style` (configureS3) sets it.
 * The SDK is loaded on first use, so a run without s3:// URLs never pays for it.
 *
 * Every failure (wrong credentials, no such bucket or key, the endpoint
 * unreachable, an object changed under a read) is a QaHfError ERR_S3 naming the
 * URL: `ERR_S3: s3://b/k: no such bucket "b"`.
 *
 *   const head = await headObject('s3://corpus/qa/a.jsonl');          // { etag, size } or null
 *   for await (const chunk of objectChunks(url, { from: 4096, etag: head.etag })) …
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { QaHfError } from '../errors';
import { type S3UrlStyle, objectUrl, parseS3Url } from '../s3-url';

type Sdk = typeof import('@aws-sdk/client-s3');

export interface S3Settings {
  /** Unset: path-style with a custom endpoint, virtual-host style on AWS. */
  urlStyle?: S3UrlStyle;
}

let settings: S3Settings = {};
let client: S3Client | null = null;
let sdk: Sdk | null = null;

/** Sets how the client is made (the CLI's --s3-url-style); the next request uses a new client. */
export function configureS3(next: S3Settings): void {
  settings = { ...next };
  client?.destroy();
  client = null;
}

/** The custom endpoint of the environment, if any (the SDK reads these too; we need it for the defaults). */
export function customEndpoint(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

function loadSdk(): Sdk {
  // The SDK warns on Node < 22 at every client's creation; that is the SDK's support policy, not a problem of this run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: a run without s3:// never pays for it
  sdk ??= require('@aws-sdk/client-s3') as Sdk;
  return sdk;
}

/** The one client of this process. */
export function s3Client(): S3Client {
  if (client) return client;
  const { S3Client: Client } = loadSdk();
  const endpoint = customEndpoint();
  const custom = endpoint !== undefined;
  const hasRegion = Boolean(process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
  client = new Client({
    forcePathStyle: settings.urlStyle ? settings.urlStyle === 'path' : custom,
    // S3-compatible stores ignore the region but the signature needs one; AWS takes it from the config.
    ...(custom && !hasRegion ? { region: 'us-east-1' } : {}),
    // S3-compatible stores (GCS, s3rver, older MinIO) reject the SDK's default CRC trailers; AWS needs none either.
    ...(custom && !process.env.AWS_REQUEST_CHECKSUM_CALCULATION ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
    ...(custom && !process.env.AWS_RESPONSE_CHECKSUM_VALIDATION ? { responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
  });
  return client;
}

// ---------------------------------------------------------------------------
// Errors

/** What the SDK throws: a service error (name, status) or a network / credential failure (code, name). */
interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  Code?: string;
}

/** Any failure of a request about `url` as one ERR_S3 line. */
export function s3Error(err: unknown, url: string): QaHfError {
  if (err instanceof QaHfError) return err;
  return new QaHfError('ERR_S3', `${url}: ${s3Reason(err as SdkError, url)}`);
}

function s3Reason(err: SdkError, url: string): string {
  const name = err?.Code ?? err?.name ?? '';
  const status = err?.$metadata?.httpStatusCode;
  const { bucket } = parseS3Url(url);
  const endpoint = customEndpoint() ?? 'AWS S3';
  switch (name) {
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
    case 'ExpiredToken':
    case 'AuthorizationHeaderMalformed':
      return `the credentials were refused (${name}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)`;
    case 'CredentialsProviderError':
      return 'no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE';
    case 'AccessDenied':
    case 'Forbidden':
      return 'access denied: the credentials have no permission here (or they are wrong)';
    case 'NoSuchBucket':
      return `no such bucket "${bucket}"`;
    case 'NoSuchKey':
    case 'NotFound':
      return 'no such object';
    case 'PreconditionFailed':
      return 'the object changed while it was read (its ETag differs)';
  }
  // The AWS SDK's own error without a code or name of its own: its message is all there is to go by.
  if (err?.message === 'Region is missing') return 'no region: set AWS_REGION (or a region in the AWS profile)';
  const code = err?.code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code) || name === 'TimeoutError') {
    return `cannot reach ${endpoint} (${code || name})`;
  }
  if (status === 403) return 'access denied (HTTP 403): wrong credentials, or no permission here';
  if (status === 404) return 'not found (HTTP 404)';
  const message = (err?.message ?? String(err)).split('\n')[0];
  return `${name || 'request failed'}${status ? ` (HTTP ${status})` : ''}${message && message !== name ? `: ${message}` : ''}`;
}

/** True for "this object is not there" (HEAD answers a bare 404). */
function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || (e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket');
}

// ---------------------------------------------------------------------------
// Reading

export interface ObjectHead {
  etag: string;
  size: number;
  /** User metadata (lower-case keys without `x-amz-meta-`). */
  metadata: Record<string, string>;
}

/** The object's ETag and size, or null when there is no such object (a missing bucket is an error). */
export async function headObject(url: string): Promise<ObjectHead | null> {
  const { bucket, key } = parseS3Url(url);
  const { HeadObjectCommand } = loadSdk();
  try {
    const head = await s3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: head.ETag ?? '', size: head.ContentLength ?? 0, metadata: head.Metadata ?? {} };
  } catch (err) {
    // A HEAD's error has no body: a missing bucket or refused credentials are told by a LIST, which has one.
    if (isNotFound(err) || (err as SdkError)?.$metadata?.httpStatusCode === 403) await checkBucket(bucket, url);
    if (isNotFound(err)) return null;
    throw s3Error(err, url);
  }
}

/** Fails with ERR_S3 when the bucket cannot be used (missing, wrong credentials, unreachable). */
export async function checkBucket(bucket: string, url = objectUrl(bucket, '')): Promise<void> {
  const { ListObjectsV2Command } = loadSdk();
  try {
    // Listed under the URL's own key: few or no keys, and no truncated page (s3rver fails on MaxKeys with more keys).
    await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: parseS3Url(url).key }));
  } catch (err) {
    throw s3Error(err, url);
  }
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

/** Every object whose key starts with `prefix`, sorted by key bytes (as local discovery sorts paths). */
export async function listObjects(bucket: string, prefix: string): Promise<ListedObject[]> {
  const { ListObjectsV2Command } = loadSdk();
  const found: ListedObject[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const item of page.Contents ?? []) if (item.Key !== undefined) found.push({ key: item.Key, size: item.Size ?? 0, etag: item.ETag ?? '' });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    throw s3Error(err, objectUrl(bucket, prefix));
  }
  return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
}

/** The body of a GET from byte `from` (to `to`, exclusive, when given), refused unless the object still has `etag`. */
async function getBody(url: string, options: { from: number; to?: number; etag?: string }): Promise<Readable> {
  const { bucket, key } = parseS3Url(url);
  const { GetObjectCommand } = loadSdk();
  const range = options.to === undefined ? `bytes=${options.from}-` : `bytes=${options.from}-${options.to - 1}`;
  let response;
  try {
    response = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range, IfMatch: options.etag }));
  } catch (err) {
    throw s3Error(err, url);
  }
  const body = response.Body as Readable;
  // Checked here too: not every S3-compatible store honours If-Match.
  if (options.etag !== undefined && response.ETag !== undefined && response.ETag !== options.etag) {
    body.destroy();
    throw s3Error({ name: 'PreconditionFailed' }, url);
  }
  return body;
}

/**
 * The object's bytes from `from` to its end, as they arrive (a ranged GET; every
 * chunk its own memory). `size` known (from a HEAD): nothing is asked past the end.
 */
export async function* objectChunks(url: string, options: { from: number; etag?: string; size?: number }): AsyncGenerator<Buffer> {
  if (options.size !== undefined && options.from >= options.size) return;
  const body = await getBody(url, options);
  try {
    for await (const chunk of body) yield chunk as Buffer;
  } catch (err) {
    throw s3Error(err, url);
  } finally {
    body.destroy();
  }
}

/** Bytes [0, n) of the object (fewer when it is shorter). */
export async function objectHead(url: string, n: number, options: { etag?: string; size: number }): Promise<Buffer> {
  if (options.size === 0 || n === 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  const body = await getBody(url, { from: 0, to: Math.min(n, options.size), etag: options.etag });
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
  } catch (err) {
    throw s3Error(err, url);
  }
  return Buffer.concat(chunks);
}

/** sha256, size and newline count of a whole object (as lib/io/fingerprint.ts sha256File of a file). */
export async function sha256Object(url: string, options: { etag?: string; size?: number } = {}): Promise<{ sha256: string; bytes: number; lines: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  // The size first: a ranged GET of an empty object is refused (416), so it is never asked for.
  const head = options.size === undefined ? await headObject(url) : null;
  if (options.size === undefined && !head) throw s3Error({ name: 'NoSuchKey' }, url);
  for await (const block of objectChunks(url, { from: 0, etag: options.etag ?? head?.etag, size: options.size ?? head!.size })) {
    hash.update(block);
    for (let at = block.indexOf(0x0a); at >= 0; at = block.indexOf(0x0a, at + 1)) lines++;
    bytes += block.length;
  }
  return { sha256: hash.digest('hex'), bytes, lines };
}

/** A small object's text, or null when there is none. */
export async function readObjectText(url: string): Promise<string | null> {
  const head = await headObject(url);
  if (!head) return null;
  const parts: Buffer[] = [];
  for await (const chunk of objectChunks(url, { from: 0, etag: head.etag, size: head.size })) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** Downloads the object to `file` (through `.NAME.download` beside it, then a rename: the file appears only complete). */
export async function downloadFile(url: string, file: string, head: { etag: string; size: number }): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.download`);
  const handle = await fs.open(temp, 'w');
  try {
    for await (const chunk of objectChunks(url, { from: 0, etag: head.etag, size: head.size })) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
}

// ---------------------------------------------------------------------------
// Writing

/**
 * Uploads a local file under `url`: one PUT, or a multipart upload for a big
 * file (lib-storage; parts of 8 MiB, 4 at a time). The object appears only
 * complete: S3 shows a multipart upload under its key only once completed.
 */
export async function uploadFile(file: string, url: string, metadata: Record<string, string>, contentType?: string): Promise<void> {
  const { bucket, key } = parseS3Url(url);
  loadSdk();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, as the client
  const { Upload } = require('@aws-sdk/lib-storage') as typeof import('@aws-sdk/lib-storage');
  const upload = new Upload({
    client: s3Client(),
    params: { Bucket: bucket, Key: key, Body: createReadStream(file), Metadata: metadata, ContentType: contentType },
    partSize: UPLOAD_PART_BYTES,
    queueSize: 4,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (err) {
    throw s3Error(err, url);
  }
}

/** Parts of a multipart upload: S3's minimum is 5 MiB; 8 MiB is the AWS CLI's default. */
export const UPLOAD_PART_BYTES = 8 << 20;

/** Writes a small object whole (one PUT: it appears complete or not at all). */
export async function putText(url: string, text: string, contentType = 'application/json'): Promise<void> {
  const { bucket, key } = parseS3Url(url);
  const { PutObjectCommand } = loadSdk();
  try {
    await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: contentType }));
  } catch (err) {
    throw s3Error(err, url);
  }
}

export async function deleteObject(url: string): Promise<void> {
  const { bucket, key } = parseS3Url(url);
  const { DeleteObjectCommand } = loadSdk();
  try {
    await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    throw s3Error(err, url);
  }
}
