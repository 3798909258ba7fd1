#!/usr/bin/env bash
# Runs Jazzer on the port wire decoder: fuzz.sh JAVA_HOME CLASSPATH CORPUS ARGS...
# New interesting inputs go to target/fuzz-corpus (the committed corpus is only read). The run fails the build
# when Jazzer exits non-zero (a finding leaves its input as target/crash-*; a timeout or running out of memory is
# a failure too) and when it ends short of the -runs=N it was given. It says how many inputs it really ran.
set -euo pipefail
java_home=$1 classpath=$2 corpus=$3
shift 3
mkdir -p fuzz-corpus
# The JVM is sized to fit under libFuzzer's RSS limit with room to spare: a small heap (the decoder needs less than
# a few MiB per input) plus metaspace, code cache and Jazzer's own native memory.
rss_limit_mb=2048
set +e
"$java_home/bin/java" -Xms256m -Xmx512m -XX:MaxMetaspaceSize=256m -XX:ReservedCodeCacheSize=128m -XX:+UseSerialGC \
  -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
  --target_class=dev.altitude.fuzz.PortWireFuzzer \
  --keep_going=0 -timeout=10 -rss_limit_mb=$rss_limit_mb -print_final_stats=1 \
  "$@" fuzz-corpus "$corpus" >fuzz.log 2>&1
status=$?
set -e
grep -E "INFO: Seed|^#[0-9]+ *(INITED|DONE)|Done [0-9]+ runs|stat::number_of_executed_units|FuzzerSecurityIssue|ERROR|Exception|crash-|out-of-memory|timeout" fuzz.log || true
ran=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' fuzz.log | grep -oE '[0-9]+$' | tail -n 1 || true)
echo "fuzz: Jazzer exited with $status after ${ran:-an unknown number of} inputs"
if [ "$status" -ne 0 ]; then
  echo "fuzz run failed (exit $status): a finding, a timeout or out of memory; see fuzz/target/fuzz.log" >&2
  tail -40 fuzz.log >&2
  exit "$status"
fi
for a in "$@"; do
  case "$a" in
    -runs=*)
      wanted=${a#-runs=}
      if [ -z "$ran" ] || [ "$ran" -lt "$wanted" ]; then
        echo "fuzz run ended after ${ran:-no} inputs of the $wanted asked for; see fuzz/target/fuzz.log" >&2
        tail -40 fuzz.log >&2
        exit 1
      fi
      ;;
  esac
done
exit 0
