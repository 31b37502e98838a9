/**
 * plan-target — where a run writes or reads, parsed once into a value (STYLE rule 20):
 * a local folder, an S3 prefix (with the version's folder or prefix under it), or a
 * dataset repo of the Hub (`--out hf://datasets/OWNER/NAME`, staged then pushed).
 * Pure; lib/plan.ts plans with it.
 *
 *   outLocation('s3://b/ds', '1.0.0') // { kind: 's3', root: {url: 's3://b/ds', …}, at: {url: 's3://b/ds/v1.0.0', …} }
 */
import * as path from 'node:path';
import { QaHfError } from './errors';
import { versionFolder } from './options';
import { type S3Prefix, isS3Url, parseS3Prefix, subPrefix } from './s3-url';
import { hubDatasetOfUrl } from './dataset/hub-push-url';
import type { ExportArgs } from './plan-args';

/** Where an export (or a merge, or a verify) writes or reads: parsed once. */
export type OutLocation = LocalFolderOut | S3PrefixOut;

export interface LocalFolderOut {
  kind: 'local';
  /** The folder named (--out, merge's DIR): with --version it holds every version. */
  root: string;
  /** The folder this run works in: `root`, or the version's folder in it. */
  dir: string;
}

export interface S3PrefixOut {
  kind: 's3';
  root: S3Prefix;
  /** `root`, or the version's prefix under it. */
  at: S3Prefix;
}

/** export --out hf://datasets/OWNER/NAME: staged locally, then pushed (commands/push/export.ts). */
export interface HubRepoOut {
  kind: 'hub';
  url: string;
  /** `OWNER/NAME`. */
  repo: string;
}

/** Where an export writes: a folder, an S3 prefix, or a dataset repo of the Hub. */
export type ExportTarget = OutLocation | HubRepoOut;

/** The target a folder or URL names (`version`: the version's folder under it). */
export function outLocation(named: string, version?: string): OutLocation {
  if (isS3Url(named)) {
    const root = parseS3Prefix(named);
    return { kind: 's3', root, at: version === undefined ? root : subPrefix(root, versionFolder(version)) };
  }
  return { kind: 'local', root: named, dir: version === undefined ? named : path.join(named, versionFolder(version)) };
}

/**
 * --out hf://datasets/OWNER/NAME takes a single export to the repo's main branch:
 * a version, ranks or a merge go to a folder first, then `qa-hf push` (which has
 * --branch, --pr, --create).
 */
export function refuseHubWith(url: string, version: string | undefined, args: ExportArgs): void {
  const repo = hubDatasetOfUrl(url);
  if (version !== undefined) {
    throw new QaHfError('ERR_USAGE', `--version with --out ${url}: export the version to a folder (--out DIR --version ${version}), then qa-hf push DIR/${versionFolder(version)} --repo ${repo}`);
  }
  if (args.rank !== undefined || args.worldSize !== undefined || args.merge) {
    throw new QaHfError('ERR_USAGE', `ranks write to a folder or s3://, not to ${url}: merge them, then qa-hf push the merged folder --repo ${repo}`);
  }
}

/** What messages call a target's folder. */
export function locationName(target: OutLocation): string {
  return target.kind === 's3' ? target.at.url : target.dir;
}
