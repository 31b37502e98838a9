/**
 * compression — which compression an input's first bytes announce (pure).
 *
 * Inputs are recognised by their magic bytes, never by their names: a gzip file
 * named `.jsonl` is read as gzip, a plain file named `.jsonl.gz` as plain text.
 * gzip and zstd are read (streams/file-source.ts decompresses them); the others
 * are only named, for the hint that tells the user to decompress them first.
 *
 *   detectCompression(head)  // 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'zip' | null
 */

export type ReadableCompression = 'gzip' | 'zstd';
export type Compression = ReadableCompression | 'bzip2' | 'xz' | 'zip';

/** Magic numbers from each format's specification (RFC 1952, RFC 8878, bzip2, xz, PKZIP APPNOTE). */
const MAGICS: ReadonlyArray<[Compression, Buffer]> = [
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['bzip2', Buffer.from('BZh', 'latin1')],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04])],
];

/** Bytes needed to tell every format above apart. */
export const MAGIC_BYTES = 6;

/** The compression `head` (a file's first bytes) starts with, or null for none known. */
export function detectCompression(head: Uint8Array): Compression | null {
  for (const [name, magic] of MAGICS) {
    if (head.length >= magic.length && Buffer.compare(Buffer.from(head.buffer, head.byteOffset, magic.length), magic) === 0) return name;
  }
  return null;
}

export function isReadableCompression(compression: Compression | null): compression is ReadableCompression {
  return compression === 'gzip' || compression === 'zstd';
}

/** The magic bytes of a format in hex, as a user would see them in `xxd`. */
export function magicHex(compression: Compression): string {
  const magic = MAGICS.find(([name]) => name === compression)![1];
  return [...magic].map((byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** The usual file-name endings of a format. */
export const COMPRESSION_EXTENSIONS: Record<Compression, readonly string[]> = {
  gzip: ['.gz'],
  zstd: ['.zst', '.zstd'],
  bzip2: ['.bz2'],
  xz: ['.xz'],
  zip: ['.zip'],
};

// ---------------------------------------------------------------------------
// Writing: what `qa-hf export --compress` makes of the text formats.

/** The compressions qa-hf writes (the ones it reads): gzip members, zstd frames. */
export type Codec = ReadableCompression;

/** File-name ending of a compressed shard: `.jsonl.gz`, `.csv.zst` (HF datasets infers the builder from the inner one). */
export const CODEC_EXTENSIONS: Record<Codec, string> = { gzip: '.gz', zstd: '.zst' };

/**
 * Levels a user may ask for, and the default of each. gzip: zlib's 1–9, default 6
 * (zlib's own default). zstd: 1–19, default 3 (the zstd CLI's default); 20–22 are
 * left out because they need far more memory per frame (zstd's `--ultra`).
 */
export const CODEC_LEVELS: Record<Codec, { min: number; max: number; default: number }> = {
  gzip: { min: 1, max: 9, default: 6 },
  zstd: { min: 1, max: 19, default: 3 },
};

/** A codec with its level: everything that shapes the compressed bytes (with the library version). */
export interface CodecChoice {
  codec: Codec;
  level: number;
}
