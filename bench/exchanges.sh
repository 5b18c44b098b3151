#!/usr/bin/env bash
# The exchange list benchmark for BENCHMARKS.md: seeds a workspace with
# 100,000 recorded exchanges and opens the debug app on it under Xvfb.
# Usage: bench/exchanges.sh [COUNT]   (default 100000; needs about 5 GB in $TMPDIR)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${1:-100000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
cargo build --release -q -p hopscope-workspace --example seed_exchanges
export XDG_DATA_HOME=$WORK/data

echo "## the exchange list with $COUNT exchanges"
# The seed runs the demo network on its fixed ports, which the tests share
# through this lock file.
flock "${TMPDIR:-/tmp}/hopscope-demo-ports.lock" \
    "$ROOT/target/release/examples/seed_exchanges" "$WORK/exchanges.db" "$COUNT" "bench passphrase" 2> /dev/null
ls -l "$WORK/exchanges.db" | awk '{print "workspace file: " $5 " bytes"}'

HOPSCOPE_BENCH_EXCHANGES_WORKSPACE=$WORK/exchanges.db HOPSCOPE_BENCH_PASSPHRASE="bench passphrase" \
HOPSCOPE_APP_BIN=$ROOT/target/debug/hopscope-app TAURI_DRIVER=$ROOT/.tools/bin/tauri-driver \
HOPSCOPE_ARTIFACTS=$ROOT/artifacts \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    cargo test -q -p hopscope-e2e --test gui bench_exchange_list -- --ignored --nocapture 2>&1 \
    | grep -E '^(exchanges|window|unlock|Exchanges|start|RSS|filter)'
