/**
 * verify — `qa-hf verify DIR`: recompute every file of DIR's manifest.json.
 * Exit 0 when all match, 3 with one line per difference otherwise. DIR may be an
 * `s3://bucket/prefix` an export was uploaded to (lib/io/s3-export.ts verifyObjects).
 */
import * as path from 'node:path';
import { QaHfError } from '../lib/errors';
import { verifyManifest } from '../lib/io/manifest';
import { urlUnder } from '../lib/s3-url';
import { verifyObjects } from '../lib/io/s3-export';
import type { VerifyRunPlan } from '../lib/plan';

export async function verifyCommand(plan: VerifyRunPlan): Promise<void> {
  const { target, inputs, quiet } = plan;
  const onSkip = (message: string) => {
    if (!quiet) process.stderr.write(`qa-hf: verify: ${message}\n`);
  };
  const problems = target.kind === 's3' ? await verifyObjects(target.at, { inputs, onSkip }) : await verifyManifest(target.dir, { inputs, onSkip });
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`qa-hf: verify: ${problem}\n`);
    const manifest = target.kind === 's3' ? urlUnder(target.at, 'manifest.json') : path.join(target.dir, 'manifest.json');
    throw new QaHfError('ERR_VERIFY', `${problems.length} difference${problems.length === 1 ? '' : 's'} from ${manifest}`);
  }
  if (!quiet) process.stderr.write(`qa-hf: ${target.kind === 's3' ? target.at.url : target.dir}: every file matches manifest.json\n`);
}
