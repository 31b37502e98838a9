/**
 * verify — `qa-hf verify DIR`: recompute every file of DIR's manifest.json.
 * Exit 0 when all match, 3 with one line per difference otherwise.
 */
import * as path from 'node:path';
import { QaHfError } from '../lib/errors';
import { verifyManifest } from '../lib/io/manifest';

export interface VerifyArgs {
  dir: string;
  inputs: boolean;
  quiet: boolean;
}

export async function verifyCommand(args: VerifyArgs): Promise<void> {
  const onSkip = (message: string) => {
    if (!args.quiet) process.stderr.write(`qa-hf: verify: ${message}\n`);
  };
  const problems = await verifyManifest(args.dir, { inputs: args.inputs, onSkip });
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`qa-hf: verify: ${problem}\n`);
    throw new QaHfError('ERR_VERIFY', `${problems.length} difference${problems.length === 1 ? '' : 's'} from ${path.join(args.dir, 'manifest.json')}`);
  }
  if (!args.quiet) process.stderr.write(`qa-hf: ${args.dir}: every file matches manifest.json\n`);
}
