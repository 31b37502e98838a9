/**
 * s3-server — a real S3 server for a test file (s3rver on a free port of
 * 127.0.0.1, its files in `directory`), with the environment the CLI and this
 * process's client (lib/io/s3.ts) read to reach it.
 *
 *   const server = await startS3Server(path.join(tmp, 'server'), ['qa-bucket']);
 *   …
 *   await server.close();   // the server stopped and the environment restored
 */
import { configureS3 } from '../lib/io/s3';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> };

export interface S3Server {
  /** AWS_ENDPOINT_URL_S3 of the server. */
  endpoint: string;
  close(): Promise<void>;
}

export async function startS3Server(directory: string, buckets: string[]): Promise<S3Server> {
  const saved = { ...process.env };
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // A spawned CLI inherits these; so does this process's client.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: endpoint });
  configureS3({});
  return {
    endpoint,
    async close() {
      await server.close();
      configureS3({});
      process.env = saved;
    },
  };
}
