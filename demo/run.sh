#!/usr/bin/env bash
# The README's demo: a fresh progress file, three exports over the stdio sidecar, then progress and list.
set -euo pipefail

main() {
  local root bin
  root=$(cd "$(dirname "$0")/.." && pwd)
  bin="$root/bin/tinytorch-milestones.js"
  DEMO_HOME=$(mktemp -d)
  trap 'rm -rf "$DEMO_HOME"' EXIT
  export TINYTORCH_PROGRESS_FILE="$DEMO_HOME/progress.json"
  export TINYTORCH_WORKSPACE="$root/demo/workspace"
  export TINYTORCH_CATALOG=seed

  say "== A student exports three modules; the sidecar unlocks the 1957 perceptron =="
  for module in 00_setup 01_tensor 02_autograd; do
    say "\$ tinytorch-milestones check-export $module"
    node "$bin" check-export "$module"
    say ""
  done

  say "== Progress =="
  node "$bin" progress
  say ""
  say "== Unlocked tests =="
  node "$bin" list
  say ""
  say "== The progress file, in the original tracker's format ($TINYTORCH_PROGRESS_FILE) =="
  cat "$TINYTORCH_PROGRESS_FILE"
  say ""
}

say() { printf '%s\n' "$*"; }

main "$@"
