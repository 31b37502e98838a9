/**
 * target — where written bytes go, as a type: an AtomicFile (lib/io/atomic-file.ts), a
 * descriptor target (lib/io/output-target.ts) or an in-memory sink in tests. Pure
 * writers (e.g. lib/dataset/parquet.ts) depend on this interface only, never on the file layer.
 */
export interface OutputTarget {
  /** Resolves once `bytes` are handed to the OS (not necessarily on disk). */
  write(bytes: Buffer): Promise<void>;
}
