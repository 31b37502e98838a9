/**
 * verify — `qa-hf verify DIR`: recompute every file of DIR's manifest.json.
 * Exit 0 when all match, 3 with one line per difference otherwise. DIR may be an
 * `s3://bucket/prefix` an export was uploaded to (lib/io/s3-export.ts verifyObjects).
 */
import * as path from 'node:path';
import { QaHfError } from '../lib/errors';
import { verifyManifest } from '../lib/io/manifest';
import { isS3Url, prefixOf } from '../lib/s3-url';
import { verifyObjects } from '../lib/io/s3-export';

export interface VerifyArgs {
  dir: string;
  inputs: boolean;
  quiet: boolean;
}

export async function verifyCommand(args: VerifyArgs): Promise<void> {
  const onSkip = (message: string) => {
    if (!args.quiet) process.stderr.write(`qa-hf: verify: ${message}\n`);
  };
  const remote = isS3Url(args.dir);
  const problems = remote ? await verifyObjects(args.dir, { inputs: args.inputs, onSkip }) : await verifyManifest(args.dir, { inputs: args.inputs, onSkip });
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`qa-hf: verify: ${problem}\n`);
    const manifest = remote ? `s3://${prefixOf(args.dir).bucket}/${prefixOf(args.dir).prefix}manifest.json` : path.join(args.dir, 'manifest.json');
    throw new QaHfError('ERR_VERIFY', `${problems.length} difference${problems.length === 1 ? '' : 's'} from ${manifest}`);
  }
  if (!args.quiet) process.stderr.write(`qa-hf: ${args.dir}: every file matches manifest.json\n`);
}
