#!/usr/bin/env bash
# Cleans up after a control plane whose Node process died without stopping it (SIGKILL, OOM kill).
# Usage: reaper.sh <node-pid> <temp-dir>
# Runs detached. Exits quietly once <temp-dir> is gone (a normal stop). When <node-pid> is gone first,
# it stops every process listed in <temp-dir>/pids (`<name> <pid>` lines in start order) in reverse
# order, so kube-apiserver before etcd, then removes <temp-dir>.
set -u
parent="$1" dir="$2"

if [[ -d /proc/self ]]; then
  # A zombie (killed, not yet reaped by its parent) counts as gone.
  alive() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
  }
  cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }
else
  alive() { kill -0 "$1" 2>/dev/null; }
  cmdline() { ps -o command= -p "$1" 2>/dev/null; }
fi

while [[ -d "$dir" ]] && alive "$parent"; do sleep 0.5; done
[[ -d "$dir" ]] || exit 0

# Only processes whose command line names the temp dir are ours; a recycled pid is left alone.
ours=()
if [[ -r "$dir/pids" ]]; then
  while read -r _name pid; do
    [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" && [[ "$(cmdline "$pid")" == *"$dir"* ]] && ours=("$pid" "${ours[@]}")
  done <"$dir/pids"
fi
for pid in "${ours[@]}"; do
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
done
for pid in "${ours[@]}"; do
  for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
done
rm -rf "$dir"
