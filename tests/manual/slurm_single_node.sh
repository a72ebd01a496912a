#!/usr/bin/env bash
# Runs workflows/slurm_array.sh on a one-node Slurm started on this machine
# (Debian slurm-wlm + munge; root needed). Not part of the suite: it
# reconfigures the machine's Slurm. Usage: tests/manual/slurm_single_node.sh FACELESS IN_ROOT OUT_ROOT [SHARDS]
set -euo pipefail
faceless=$(readlink -f "$1") in_root=$(readlink -f "$2") out_root=$3 shards=${4:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
command -v slurmctld >/dev/null || apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
chown -R munge:munge /etc/munge /run/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || su -s /bin/sh munge -c "/usr/sbin/munged" || /usr/sbin/munged --force
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=faceless-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
pkill -x slurmctld || true
pkill -x slurmd || true
sleep 1
/usr/sbin/slurmctld -c
/usr/sbin/slurmd -c
for i in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break; sleep 1; done
sinfo
mkdir -p "$out_root"
out_root=$(readlink -f "$out_root")
cd "$out_root"
jid=$(FACELESS=$faceless sbatch --parsable --export=ALL --cpus-per-task=1 --array=1-"$shards" \
  "$root/workflows/slurm_array.sh" "$in_root" "$out_root" --no-render)
fin=$(sbatch --parsable --dependency=afterany:"$jid" --export=ALL \
  --wrap "$faceless batch $in_root $out_root -q --no-render")
echo "array job $jid, summary job $fin"
for i in $(seq 600); do
  squeue -h | grep -q . || break
  sleep 1
done
sacct -j "$jid,$fin" 2>/dev/null || true
ls "$out_root"
cat "$out_root"/faceless-*.log 2>/dev/null | tail -20 || true
test -f "$out_root/faceless_summary.tsv" && cut -f1,3,4,6 "$out_root/faceless_summary.tsv"
