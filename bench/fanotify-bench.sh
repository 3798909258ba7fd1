#!/usr/bin/env bash
# fanotify benchmark (issue 19): what a permission listener adds to open+close of a cached file and to a 4 KiB read
# of it, on a loop-mounted ext4, for
#   none       no listener
#   c          ../shared/tools/fanotify-baseline in its content mode (the minimal C listener: open, exec and access
#              permission events, allows all but .foul; built here with its own build line): one event per open and
#              per read, as Altitude's pre-content group on ext4 gets (the baseline's "pre" mode asks for both
#              FAN_ACCESS_PERM and FAN_PRE_ACCESS: two events per read)
#   altitude   altitude mount --real with one passThrough filter
# in turns, three rounds; each figure is a C loop's own time per call (clock_gettime around N calls), the median of
# the rounds. Two placements, as a 2-vCPU guest makes them differ by ten times: "same core" (the loop and the
# listener pinned to CPU 0: the cost is the listener's two context switches and its work) and "other core" (the
# listener on CPU 1: waking an idle vCPU for each event dominates). Printed as a markdown table: ns per call, the added cost, and Altitude's added cost over the C
# listener's. Needs root, gcc, mkfs.ext4.
# Usage: bench/fanotify-bench.sh [calls per figure]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
calls=${1:-200000}
c_mode=${C_MODE:-content}
work=$(mktemp -d /tmp/altitude-fanbench.XXXXXX)
mnt=$work/mnt
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export ALTITUDE_NO_BUILD=${ALTITUDE_NO_BUILD:-}
"$top/bin/altitude" --version >/dev/null   # builds once if needed
export ALTITUDE_NO_BUILD=1

baseline_src=${FANOTIFY_BASELINE:-$top/../shared/tools/fanotify-baseline/fanotify-baseline.c}
cc -O2 -o "$work/fanotify-baseline" "$baseline_src"
cat > "$work/loop.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* loop open|read FILE N: N calls of open+close, or of a 4 KiB pread at offset 0; prints ns per call */
int main(int argc, char **argv) {
  long n = atol(argv[3]);
  char buf[4096];
  int fd = open(argv[2], O_RDONLY);
  if (fd < 0) { perror("open"); return 1; }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    if (strcmp(argv[1], "open") == 0) {
      int f = open(argv[2], O_RDONLY);
      if (f < 0) { perror("open"); return 1; }
      close(f);
    } else if (pread(fd, buf, sizeof buf, 0) != sizeof buf) { perror("pread"); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
C
cc -O2 -o "$work/loop" "$work/loop.c"
truncate -s 256M "$work/ext4.img"
mkfs.ext4 -q -F "$work/ext4.img"
mkdir -p "$mnt"
mount -o loop "$work/ext4.img" "$mnt"
head -c 65536 /dev/urandom > "$mnt/cached.bin"
cat "$mnt/cached.bin" > /dev/null

measure() { # listener's CPU -> "open read" ns per call, the loop on CPU 0
  local n=$calls
  [ "$1" = 1 ] && n=$((calls / 10))
  taskset -c 0 "$work/loop" open "$mnt/cached.bin" "$n" >/dev/null   # warm both paths (the JIT of a Java listener)
  taskset -c 0 "$work/loop" read "$mnt/cached.bin" "$n" >/dev/null
  echo "$(taskset -c 0 "$work/loop" open "$mnt/cached.bin" "$n") $(taskset -c 0 "$work/loop" read "$mnt/cached.bin" "$n")"
}
c_listener() { # CPU
  taskset -c "$1" "$work/fanotify-baseline" "$c_mode" fs "$mnt" > "$work/c.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q READY "$work/c.log" && return; sleep 0.05; done
  echo "the C listener did not start:"; cat "$work/c.log"; exit 1
}
altitude() { # CPU
  taskset -c "$1" "$top/bin/altitude" mount --real "$mnt" --run-dir "$work/run" --filter passthrough > "$work/alt.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q "altitude: mounted" "$work/alt.log" 2>/dev/null && return; sleep 0.1; done
  echo "altitude did not start:"; cat "$work/alt.log"; exit 1
}
stop_last() {
  local p=${pids[-1]}
  kill "$p"; wait "$p" 2>/dev/null || true
  unset 'pids[-1]'
}
declare -A fig
for round in 1 2 3; do
  for cpu in 0 1; do
    read -r o r <<< "$(measure "$cpu")"; fig[none$cpu]+="$o/$r "
    c_listener "$cpu"
    read -r o r <<< "$(measure "$cpu")"; fig[c$cpu]+="$o/$r "
    stop_last
    altitude "$cpu"
    read -r o r <<< "$(measure "$cpu")"; fig[alt$cpu]+="$o/$r "
    stop_last
  done
done
/usr/bin/python3 - "${fig[none0]}" "${fig[c0]}" "${fig[alt0]}" "${fig[none1]}" "${fig[c1]}" "${fig[alt1]}" <<'PY'
import statistics, sys
def med(a, i):
    return statistics.median(float(x.split("/")[i]) for x in a.split())
print("| listener placement: call | no listener | C listener | Altitude, 1 passThrough | added: C | added: Altitude | Altitude / C | goal |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for place, base in (("same core", 1), ("other core", 4)):
    for name, i in (("open+close of a cached file", 0), ("4 KiB read (pread, cached)", 1)):
        n, c, a = (med(sys.argv[base + k], i) for k in range(3))
        ac, aa = c - n, a - n
        r = aa / ac if ac > 0 else float("nan")
        print(f"| {place}: {name} | {n:.0f} ns | {c:.0f} ns | {a:.0f} ns | {ac:.0f} ns | {aa:.0f} ns | {r:.2f}x | <= 1.5x: {'met' if r <= 1.5 else 'missed'} |")
PY
