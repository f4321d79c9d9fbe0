#!/usr/bin/env bash
# Runs the whole suite (`npm test`) N times in a row and prints how many runs were green, with each
# run's duration and, for a red one, the lines that say why (its full output is kept). A flaky test
# shows up here before it teaches anyone to re-run instead of read.
#
#   bash scripts/soak-tests.sh 10            # after npm ci, with Node.js 24 on the PATH
#   SOAK_DIR=/tmp/soak bash scripts/soak-tests.sh 3
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:?usage: soak-tests.sh N}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive integer" >&2; exit 2; }
dir="${SOAK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/logto-operator-soak.XXXXXX")}"
mkdir -p "$dir"
# The kernel refusing a process memory (e.g. a worker's) leaves a line here: worth seeing beside a red run.
kernel_refusals() { dmesg 2>/dev/null | grep -c '__vm_enough_memory' || true; }

green=0
for ((i = 1; i <= runs; i++)); do
  log="$dir/run-$i.log"
  refusals_before=$(kernel_refusals)
  start=$SECONDS
  if npm test >"$log" 2>&1; then
    green=$((green + 1))
    result=green
  else
    result=red
  fi
  refusals=$(($(kernel_refusals) - refusals_before))
  printf 'run %d/%d: %s in %ds%s\n' "$i" "$runs" "$result" "$((SECONDS - start))" \
    "$([[ $refusals -gt 0 ]] && echo ", $refusals kernel memory refusal(s)")"
  if [[ $result == red ]]; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'FAIL|Error|exited unexpectedly|Unhandled' | head -20 | sed 's/^/    /'
  fi
done
echo "$green of $runs runs green (logs in $dir)"
[[ $green -eq $runs ]]
