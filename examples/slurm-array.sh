#!/usr/bin/env bash
# qa-hf on Slurm: N ranks as a job array, then a merge job that starts only when
# every array task succeeded (--dependency=afterok on the array's job id).
#
# Each task's rank is SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN and the world size
# SLURM_ARRAY_TASK_COUNT (qa-hf reads both; no flag needed). Each rank writes
# OUT/ranks/rank-RRRRR/; a task requeued or run again resumes its rank, and a rank
# already complete does nothing. The merge job assembles and verifies the dataset.
#
#   N=16 INPUT=s3://my-bucket/corpus/ OUT=s3://my-bucket/datasets/qa-v1/ bash slurm-array.sh
#
# OUT may also be a shared file system path (every node must see the same folder).
# S3 credentials come from the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, …),
# which sbatch passes on to the tasks by default (--export=ALL).
set -euo pipefail

N="${N:-8}"
INPUT="${INPUT:-s3://my-bucket/corpus/}"
OUT="${OUT:-s3://my-bucket/datasets/qa-v1/}"

array_job=$(sbatch --parsable \
  --job-name=qa-hf-export \
  --array="0-$((N - 1))" \
  --cpus-per-task=2 --mem=4G --time=12:00:00 \
  --output=qa-hf-export-%A_%a.log \
  --wrap "qa-hf export '$INPUT' --out '$OUT' --format jsonl,parquet --split train=0.9,validation=0.05,test=0.05 --dedup exact")

merge_job=$(sbatch --parsable \
  --job-name=qa-hf-merge \
  --dependency="afterok:${array_job}" \
  --cpus-per-task=2 --mem=8G --time=4:00:00 \
  --output=qa-hf-merge-%j.log \
  --wrap "qa-hf merge '$OUT' && qa-hf verify '$OUT'")

echo "submitted export array ${array_job} (${N} ranks) and merge ${merge_job}"
