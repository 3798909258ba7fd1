#!/usr/bin/env bash
# FUSE benchmark (issue 7): fio (sequential 1 MiB read and write, 4 KiB random read) and a metadata workload
# (2,000 creates, stats, unlinks; median of 5 rounds taken in turns) on the source directory itself, on bindfs, and through altitude mounts with 0
# and 3 pass-through filter instances; one run, printed as a markdown table of throughputs and ratios.
# Needs root, fuse3, fio and bindfs (apt-get install fuse3 fio bindfs). Usage: bench/fuse-bench.sh [seconds per job]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runtime=${1:-10}
work=$(mktemp -d /tmp/altitude-fusebench.XXXXXX)
src=$work/src; mkdir -p "$src" "$work/bindfs" "$work/alt0" "$work/alt3"
pids=()
cleanup() {
  for m in "$work/bindfs" "$work/alt0" "$work/alt3"; do fusermount3 -u -z "$m" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export ALTITUDE_NO_BUILD=${ALTITUDE_NO_BUILD:-}
"$top/bin/altitude" --version >/dev/null   # builds once if needed
export ALTITUDE_NO_BUILD=1

bindfs "$src" "$work/bindfs"
start_altitude() { # mount point, run dir, filters...
  local mnt=$1 run=$2; shift 2
  "$top/bin/altitude" mount "$src" "$mnt" --run-dir "$run" "$@" > "$run.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q "altitude: mounted" "$run.log" 2>/dev/null && return; sleep 0.1; done
  echo "altitude did not mount at $mnt:"; cat "$run.log"; exit 1
}
start_altitude "$work/alt0" "$work/run0"
start_altitude "$work/alt3" "$work/run3" --filter passthrough
"$top/bin/altitude" fltmc attach passthrough "$work/alt3" -i pt2 -a 370031 --run-dir "$work/run3" >/dev/null
"$top/bin/altitude" fltmc attach passthrough "$work/alt3" -i pt3 -a 370032 --run-dir "$work/run3" >/dev/null

fio_mbs() { # dir, rw, bs -> MB/s (reads or writes)
  local dir=$1 rw=$2 bs=$3 what=read
  [ "$rw" = write ] && what=write
  fio --name=j --directory="$dir" --rw="$rw" --bs="$bs" --size=256m --ioengine=psync --time_based \
      --runtime="$runtime" --numjobs=1 --output-format=json 2>/dev/null \
    | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin)['jobs'][0]['$what']; print('%.1f' % (j['bw_bytes']/1e6))"
  rm -f "$dir"/j.*
}
meta_ops() { # dir -> operations per second for 2,000 x (create, stat, unlink)
  /usr/bin/python3 - "$1" <<'PY'
import os, sys, time
d = os.path.join(sys.argv[1], "meta"); os.mkdir(d)
t = time.perf_counter()
for i in range(2000):
    os.close(os.open(os.path.join(d, "f%d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
for i in range(2000):
    os.stat(os.path.join(d, "f%d" % i))
for i in range(2000):
    os.unlink(os.path.join(d, "f%d" % i))
e = time.perf_counter() - t
os.rmdir(d)
print("%.0f" % (6000 / e))
PY
}

declare -A r
targets=(src bindfs alt0 alt3)
dirs=([0]="$src" [1]="$work/bindfs" [2]="$work/alt0" [3]="$work/alt3")
for i in 0 1 2 3; do
  t=${targets[$i]}; d=${dirs[$i]}
  r[$t,seqread]=$(fio_mbs "$d" read 1m)
  r[$t,seqwrite]=$(fio_mbs "$d" write 1m)
  r[$t,randread]=$(fio_mbs "$d" randread 4k)
done
# The metadata workload creates and deletes 2,000 files in the one source directory every target shares, and ext4
# makes each run after a delete slower (its inode allocator scans past recently deleted inodes: perf shows
# recently_deleted and find_inode_bit on top). So the targets take turns, in a rotating order, and each gets the
# median of its rounds.
rounds=5
for round in $(seq 0 $((rounds - 1))); do
  for k in 0 1 2 3; do
    i=$(( (k + round) % 4 )); t=${targets[$i]}
    r[$t,meta$round]=$(meta_ops "${dirs[$i]}")
  done
done
for t in "${targets[@]}"; do
  r[$t,meta]=$(for round in $(seq 0 $((rounds - 1))); do echo "${r[$t,meta$round]}"; done | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
done

ratio() { /usr/bin/python3 -c "print('%.2f' % ($1 / $2))"; }
echo "| workload | source dir | bindfs | altitude, 0 filters | altitude, 3 pass-through | 0 filters / bindfs | 3 filters / bindfs |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for w in seqread seqwrite randread meta; do
  unit="MB/s"; [ "$w" = meta ] && unit="ops/s"
  name=$w; case $w in seqread) name="sequential read, 1 MiB";; seqwrite) name="sequential write, 1 MiB";;
    randread) name="random read, 4 KiB";; meta) name="metadata: create, stat, unlink";; esac
  echo "| $name | ${r[src,$w]} $unit | ${r[bindfs,$w]} | ${r[alt0,$w]} | ${r[alt3,$w]} | $(ratio "${r[alt0,$w]}" "${r[bindfs,$w]}")× | $(ratio "${r[alt3,$w]}" "${r[bindfs,$w]}")× |"
done
