#!/usr/bin/env bash
# Scale-out of `faceless batch` on Slurm: one array task per shard.
#
#   jid=$(sbatch --parsable --array=1-16 workflows/slurm_array.sh IN_ROOT OUT_ROOT [faceless batch options])
#   sbatch --dependency=afterany:$jid --wrap "faceless batch IN_ROOT OUT_ROOT -q"   # summary, retries
#
# Task K of the array runs `faceless batch --shard K/N` with N the array size,
# using the CPUs Slurm gave it. Shards are disjoint and cover the dataset; a
# rerun skips finished images, so resubmitting after a node failure is safe.
# The QC material (renders of the original faces, reports, logs) goes to
# OUT_ROOT_qc beside OUT_ROOT (or --qc-dir DIR, given to every task and to the
# final pass alike); OUT_ROOT holds only the shareable dataset.
#SBATCH --job-name=faceless
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --output=faceless-%A_%a.log
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: sbatch --array=1-N $0 IN_ROOT OUT_ROOT [faceless batch options]" >&2
  exit 2
fi
in_root=$1 out_root=$2
shift 2
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array=1-N}"
first=${SLURM_ARRAY_TASK_MIN:-1}
count=${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX - first + 1))}
k=$((SLURM_ARRAY_TASK_ID - first + 1))
exec "${FACELESS:-faceless}" batch "$in_root" "$out_root" --shard "$k/$count" \
  --threads-per-job "${SLURM_CPUS_PER_TASK:-1}" -q "$@"
