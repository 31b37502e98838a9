/**
 * push/export — `qa-hf export … --out hf://datasets/OWNER/NAME`: the export runs as
 * a local one into a staging folder (the same folder for the same Hub and repo, so a
 * killed run resumes from its checkpoint there), with a card that loads the dataset
 * by its repo id, then the folder is pushed (commands/push.ts: one commit of what
 * changed, the repo's own files and card text kept) and removed. A run killed during
 * the push is finished by the next: the export is done again in the staging folder
 * (the same bytes; stats.json's timings aside) and the push sends only what the Hub
 * lacks. The token (HF_TOKEN) and the repo are checked before the export runs: a
 * wrong one costs one line and writes nothing. The Hub is HF_ENDPOINT's, else the
 * public one; the repo must exist and the push goes to main (`qa-hf push` takes
 * --create, --branch, --pr). A version, ranks or a dry run are refused or skip the Hub
 * when the run is planned (lib/plan.ts).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AFTER_WRITE_CODES, QaHfError, type RunErrorCode } from '../../lib/errors';
import { type ExportRunPlan, type HubRepoOut, stagedExport } from '../../lib/plan';
import type { Counts } from '../../lib/tally';
import { checkPushTarget, pushCommand } from '../push';

/** The staging folder of an export to `repo` on `hubUrl`: `ROOT/qa-hf-stage-HASH/NAME`. */
export function hubStageDirFor(hubUrl: string, repo: string, stageRoot?: string): string {
  const hash = createHash('sha256').update(`${hubUrl}\nhf://datasets/${repo}`).digest('hex').slice(0, 16);
  return path.join(stageRoot ?? os.tmpdir(), `qa-hf-stage-${hash}`, repo.split('/')[1]);
}

/** Runs `exportLocal` with the plan staged in the staging folder of the repo, then pushes that folder. */
export async function exportToHub(plan: ExportRunPlan, target: HubRepoOut, exportLocal: (staged: ExportRunPlan) => Promise<Counts>): Promise<Counts> {
  const { args } = plan;
  const hubUrl = await checkPushTarget(target.repo);
  const stage = hubStageDirFor(hubUrl, target.repo, args.stageDir);
  let gate: QaHfError | null = null;
  const counts = await exportLocal(stagedExport(plan, stage)).catch((err: unknown) => {
    // A --fail-on breach (exit 4) or an input that gave nothing usable (exit 5) comes after every file is written: published, then the gate says no.
    if (!(err instanceof QaHfError && AFTER_WRITE_CODES.includes(err.code as RunErrorCode))) throw err;
    gate = err;
    return null;
  });
  await pushCommand({ dir: stage, repo: target.repo, quiet: args.quiet, ...(args.progress === undefined ? {} : { progress: args.progress }) });
  await fs.rm(path.dirname(stage), { recursive: true, force: true });
  if (gate) throw gate;
  return counts as Counts;
}
