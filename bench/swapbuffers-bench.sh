#!/usr/bin/env bash
# swapBuffers against passThrough on the same FUSE mount (root): fio sequential 1 MiB write and read, and 4 KiB random
# read/write, psync, one run each. Prints a markdown table; bench/run does not run it (it is issue 22's one figure).
set -euo pipefail
cd "$(dirname "$0")/.."
key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
work=$(mktemp -d /tmp/altitude-swapbench.XXXXXX)
trap 'fusermount3 -u "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
run() { # filter spec -> "seqwrite seqread randread randwrite" in MiB/s
  local spec=$1 src="$work/src-$2" mnt="$work/mnt"
  mkdir -p "$src" "$mnt"
  bin/altitude mount "$src" "$mnt" -f "$spec" >"$work/daemon.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do mountpoint -q "$mnt" && break; sleep 0.1; done
  mountpoint -q "$mnt" || { cat "$work/daemon.log" >&2; exit 1; }
  local common="--directory=$mnt --ioengine=psync --output-format=json --group_reporting"
  local sw sr rr rw
  sw=$(fio --name=seq --rw=write --bs=1M --size=256M $common | python3 -c 'import json,sys;print(round(json.load(sys.stdin)["jobs"][0]["write"]["bw"]/1024))')
  sr=$(fio --name=seq --rw=read --bs=1M --size=256M $common | python3 -c 'import json,sys;print(round(json.load(sys.stdin)["jobs"][0]["read"]["bw"]/1024))')
  read -r rr rw < <(fio --name=rand --rw=randrw --bs=4k --size=64M --runtime=15 --time_based $common | python3 -c 'import json,sys;j=json.load(sys.stdin)["jobs"][0];print(round(j["read"]["bw"]/1024,1), round(j["write"]["bw"]/1024,1))')
  kill -TERM $pid; wait $pid || true
  echo "$sw $sr $rr $rw"
}
read -r psw psr prr prw < <(run passthrough pass)
read -r ssw ssr srr srw < <(run "swapbuffers:key=$key" swap)
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "| fio (psync, one run) | passthrough | swapbuffers | ratio |"
echo "| --- | --- | --- | --- |"
echo "| sequential write, 1 MiB | $psw MiB/s | $ssw MiB/s | $(ratio $ssw $psw) |"
echo "| sequential read, 1 MiB | $psr MiB/s | $ssr MiB/s | $(ratio $ssr $psr) |"
echo "| random read, 4 KiB (randrw) | $prr MiB/s | $srr MiB/s | $(ratio $srr $prr) |"
echo "| random write, 4 KiB (randrw) | $prw MiB/s | $srw MiB/s | $(ratio $srw $prw) |"
