#!/usr/bin/env bash
# FUSE benchmark (issue 17): fio (psync, one job, 256 MiB, cache kept: --invalidate=0) — sequential 1 MiB read and
# write, 4 KiB random read — and a metadata workload (2,000 creates, `ls -l`, `rm -rf`; median of 5 rounds taken in
# turns), each data path of `altitude mount` against its fair peer in the same run:
#   passthrough  no filter                              against the source directory itself
#   page cache   3 passThrough instances, skip=cached   against bindfs (its page cache)
#   direct       3 passThrough instances                against bindfs -o direct_io
#   metadata     3 passThrough instances                against bindfs and the source directory
# Printed as a markdown table of figures and ratios. Needs root, fio and bindfs (apt-get install fio bindfs).
# Usage: bench/fuse-bench.sh [seconds per job]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runtime=${1:-10}
work=$(mktemp -d /tmp/altitude-fusebench.XXXXXX)
src=$work/src
names=(bindfs bindfsd alt0 altc altd)
for n in "${names[@]}"; do mkdir -p "$work/$n"; done
mkdir -p "$src"
pids=()
cleanup() {
  for n in "${names[@]}"; do umount -l "$work/$n" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export ALTITUDE_NO_BUILD=${ALTITUDE_NO_BUILD:-}
"$top/bin/altitude" --version >/dev/null   # builds once if needed
export ALTITUDE_NO_BUILD=1

bindfs "$src" "$work/bindfs"
bindfs -o direct_io "$src" "$work/bindfsd"
start_altitude() { # mount point, run dir, filters...
  local mnt=$1 run=$2; shift 2
  "$top/bin/altitude" mount "$src" "$mnt" --run-dir "$run" "$@" > "$run.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q "altitude: mounted" "$run.log" 2>/dev/null && return; sleep 0.1; done
  echo "altitude did not mount at $mnt:"; cat "$run.log"; exit 1
}
three() { # mount point, run dir, filter spec: three instances of one pass-through filter
  start_altitude "$1" "$2" --filter "$3"
  "$top/bin/altitude" fltmc attach passthrough "$1" -i pt2 -a 370031 --run-dir "$2" >/dev/null
  "$top/bin/altitude" fltmc attach passthrough "$1" -i pt3 -a 370032 --run-dir "$2" >/dev/null
}
start_altitude "$work/alt0" "$work/run0"
three "$work/altc" "$work/runc" "passthrough:skip=cached"
three "$work/altd" "$work/rund" "passthrough"

fio_mbs() { # dir, rw, bs -> MB/s (reads or writes)
  local dir=$1 rw=$2 bs=$3 what=read
  [ "$rw" = write ] && what=write
  fio --name=j --directory="$dir" --rw="$rw" --bs="$bs" --size=256m --ioengine=psync --invalidate=0 --time_based \
      --runtime="$runtime" --numjobs=1 --output-format=json 2>/dev/null \
    | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin)['jobs'][0]['$what']; print('%.1f' % (j['bw_bytes']/1e6))"
}
meta_ops() { # dir -> operations per second for 2,000 creates, one ls -l, rm -rf (2,000 + 1 + 2,000 operations)
  /usr/bin/python3 - "$1" <<'PY'
import os, subprocess, sys, time
d = os.path.join(sys.argv[1], "meta"); os.mkdir(d)
t = time.perf_counter()
for i in range(2000):
    os.close(os.open(os.path.join(d, "f%d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
subprocess.run(["ls", "-l", d], check=True, stdout=subprocess.DEVNULL)
subprocess.run(["rm", "-rf", d], check=True)
e = time.perf_counter() - t
print("%.0f" % (4001 / e))
PY
}

declare -A r
targets=(src bindfs bindfsd alt0 altc altd)
declare -A dir=([src]="$src" [bindfs]="$work/bindfs" [bindfsd]="$work/bindfsd" [alt0]="$work/alt0" [altc]="$work/altc"
  [altd]="$work/altd")
# The write comes first and leaves its file for the reads: they find it whole and in the source's page cache
# ("cache kept"), not half laid out by fio.
for t in "${targets[@]}"; do
  r[$t,seqwrite]=$(fio_mbs "${dir[$t]}" write 1m)
  sync # the reads measure the cache, not the write-back of what the write left dirty
  r[$t,seqread]=$(fio_mbs "${dir[$t]}" read 1m)
  r[$t,randread]=$(fio_mbs "${dir[$t]}" randread 4k)
  rm -f "${dir[$t]}"/j.*
done
# The metadata workload creates and deletes 2,000 files in the one source directory every target shares, and ext4
# makes each run after a delete slower (its inode allocator scans past recently deleted inodes). So the targets take
# turns, in a rotating order, and each gets the median of its rounds.
meta_targets=(src bindfs altd)
rounds=5
for round in $(seq 0 $((rounds - 1))); do
  for k in 0 1 2; do
    t=${meta_targets[$(( (k + round) % 3 ))]}
    r[$t,meta$round]=$(meta_ops "${dir[$t]}")
  done
done
for t in "${meta_targets[@]}"; do
  r[$t,meta]=$(for round in $(seq 0 $((rounds - 1))); do echo "${r[$t,meta$round]}"; done | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
done

ratio() { /usr/bin/python3 -c "print('%.2f' % ($1 / $2))"; }
met() { /usr/bin/python3 -c "print('met' if $1 >= $2 else 'missed')"; }
row() { # name, altitude target, peer target, workload, goal
  local q; q=$(ratio "${r[$2,$4]}" "${r[$3,$4]}")
  echo "| $1 | ${r[$2,$4]} | ${r[$3,$4]} | ${q}× | ≥ $5×: $(met "$q" "$5") |"
}
echo "| data path: workload | altitude | peer | ratio | goal |"
echo "| --- | --- | --- | --- | --- |"
row "passthrough (no filter): sequential read, 1 MiB, MB/s vs the source directory" alt0 src seqread 0.9
row "passthrough (no filter): sequential write, 1 MiB, MB/s vs the source directory" alt0 src seqwrite 0.9
row "passthrough (no filter): random read, 4 KiB, MB/s vs the source directory" alt0 src randread 0.9
row "page cache (3 filters, skip=cached): sequential read, MB/s vs bindfs" altc bindfs seqread 1.0
row "page cache (3 filters, skip=cached): random read, 4 KiB, MB/s vs bindfs" altc bindfs randread 1.0
row "page cache (3 filters, skip=cached): sequential write, MB/s vs bindfs" altc bindfs seqwrite 3.0
row "direct (3 filters): sequential read, MB/s vs bindfs -o direct_io" altd bindfsd seqread 1.0
row "direct (3 filters): random read, 4 KiB, MB/s vs bindfs -o direct_io" altd bindfsd randread 1.0
row "direct (3 filters): sequential write, MB/s vs bindfs -o direct_io" altd bindfsd seqwrite 1.0
row "metadata (3 filters): 2,000 creates, ls -l, rm -rf, ops/s vs bindfs" altd bindfs meta 1.0
row "metadata (3 filters): ops/s vs the source directory" altd src meta 0.7
echo
echo "All figures: source $(printf '%s/%s/%s MB/s' "${r[src,seqread]}" "${r[src,seqwrite]}" "${r[src,randread]}"),"\
" bindfs ${r[bindfs,seqread]}/${r[bindfs,seqwrite]}/${r[bindfs,randread]}, bindfs -o direct_io"\
" ${r[bindfsd,seqread]}/${r[bindfsd,seqwrite]}/${r[bindfsd,randread]}, altitude passthrough"\
" ${r[alt0,seqread]}/${r[alt0,seqwrite]}/${r[alt0,randread]}, page cache ${r[altc,seqread]}/${r[altc,seqwrite]}/${r[altc,randread]},"\
" direct ${r[altd,seqread]}/${r[altd,seqwrite]}/${r[altd,randread]} (sequential read/write, random read);"\
" metadata ops/s: source ${r[src,meta]}, bindfs ${r[bindfs,meta]}, altitude (3 filters) ${r[altd,meta]}."
