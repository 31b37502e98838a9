/**
 * hub-push-url — `hf://datasets/OWNER/NAME`, the `--out` of an export published to
 * the Hugging Face Hub (export to a staging folder, then `qa-hf push`). Pure.
 *
 *   isHubUrl('hf://datasets/me/qa')            // true
 *   hubDatasetOfUrl('hf://datasets/me/qa')     // 'me/qa'
 *   hubDatasetOfUrl('hf://me/qa')              // ERR_USAGE: a model repo's form
 */
import { QaHfError } from '../errors';

export const HF_SCHEME = 'hf://';

export function isHubUrl(value: string): boolean {
  return value.startsWith(HF_SCHEME);
}

/** The dataset repo `OWNER/NAME` an `hf://datasets/OWNER/NAME` URL names (a trailing slash allowed). */
export function hubDatasetOfUrl(url: string): string {
  const match = url.match(/^hf:\/\/datasets\/([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)\/?$/);
  if (match === null || match[1].includes('..') || match[1].endsWith('.git')) {
    throw new QaHfError('ERR_USAGE', `--out hf://… must name a dataset repo: hf://datasets/OWNER/NAME (a path inside the repo, a model's or a space's is not taken), got ${JSON.stringify(url)}`);
  }
  return match[1];
}
