#!/usr/bin/env bash
# Runs Jazzer on the port wire decoder: fuzz.sh JAVA_HOME CLASSPATH CORPUS ARGS...
# New interesting inputs go to target/fuzz-corpus (the committed corpus is only read); a finding leaves
# its input as target/crash-* and fails the build.
set -euo pipefail
java_home=$1 classpath=$2 corpus=$3
shift 3
mkdir -p fuzz-corpus
"$java_home/bin/java" -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
  --target_class=dev.altitude.core.PortWireFuzzer \
  --keep_going=0 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  "$@" fuzz-corpus "$corpus" 2>&1 | tee fuzz.log | grep -E "INFO: Seed|^#[0-9]+ *(INITED|DONE)|Done [0-9]+ runs|stat::number_of_executed_units|FuzzerSecurityIssue|ERROR|Exception|crash-" || true
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "fuzz run failed (exit $status); see fuzz/target/fuzz.log" >&2
  tail -40 fuzz.log >&2
fi
exit "$status"
