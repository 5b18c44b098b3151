#!/usr/bin/env bash
# Benchmarks for BENCHMARKS.md: issuance (Hopscope in process, the hopscope
# command, openssl, side by side) and listing a 10,000-credential workspace.
# Usage: bench/run.sh [ISSUE_COUNT] [LIST_COUNT]   (defaults 1000 and 10000)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ISSUE_COUNT=${1:-1000}
LIST_COUNT=${2:-10000}
CLI_COUNT=$(( ISSUE_COUNT / 10 ))
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
cargo build --release -q -p hopscope-cli
cargo build --release -q -p hopscope-workspace --example bench
HOPSCOPE=$ROOT/target/release/hopscope
BENCH=$ROOT/target/release/examples/bench
export XDG_DATA_HOME=$WORK/data
echo "bench passphrase" > "$WORK/passphrase"
export HOPSCOPE_PASSPHRASE_FILE=$WORK/passphrase

seconds_since() { echo "$(date +%s.%N) - $1" | bc -l; }
per_item_ms() { echo "scale=2; $1 * 1000 / $2" | bc -l; }

echo "## machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "openssl: $(openssl version)"
echo

echo "## issuing and storing ECDSA P-256 credentials"
"$BENCH" issue "$ISSUE_COUNT"

export HOPSCOPE_WORKSPACE=$WORK/cli.db
"$HOPSCOPE" init > /dev/null
"$HOPSCOPE" authority create bench-root > /dev/null
start=$(date +%s.%N)
for n in $(seq 1 "$CLI_COUNT"); do
    "$HOPSCOPE" cert issue "cli-$n" --role public-endpoint --authority bench-root \
        --url "https://host-$n.bench.test/fhir" > /dev/null
done
elapsed=$(seconds_since "$start")
echo "hopscope cert issue, one process each (unlock included): $CLI_COUNT in ${elapsed} s ($(per_item_ms "$elapsed" "$CLI_COUNT") ms each)"

mkdir -p "$WORK/openssl"
cd "$WORK/openssl"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -subj /CN=bench-root -days 3650 2> /dev/null
start=$(date +%s.%N)
for n in $(seq 1 "$ISSUE_COUNT"); do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "leaf-$n.key" -out "leaf-$n.pem" \
        -subj "/CN=cli-$n" -days 90 -CA ca.pem -CAkey ca.key \
        -addext "subjectAltName=DNS:host-$n.bench.test" -addext "extendedKeyUsage=serverAuth" 2> /dev/null
done
elapsed=$(seconds_since "$start")
echo "openssl req -x509 -CA, one process each, key and certificate files: $ISSUE_COUNT in ${elapsed} s ($(per_item_ms "$elapsed" "$ISSUE_COUNT") ms each)"
cd "$ROOT"
echo

echo "## listing a $LIST_COUNT-credential workspace"
"$BENCH" seed "$WORK/list.db" "$LIST_COUNT" "bench passphrase"
export HOPSCOPE_WORKSPACE=$WORK/list.db
hyperfine --warmup 1 --runs 10 --style basic \
    "$HOPSCOPE cert list --json > /dev/null" \
    "$HOPSCOPE cert list > /dev/null"
ls -l "$WORK/list.db" | awk '{print "workspace file: " $5 " bytes"}'
echo

echo "## opening the app on the $LIST_COUNT-credential workspace"
# The debug app that make build makes; the GUI benchmark drives it through
# tauri-driver under Xvfb like the GUI tests.
HOPSCOPE_BENCH_WORKSPACE=$WORK/list.db HOPSCOPE_BENCH_PASSPHRASE="bench passphrase" \
HOPSCOPE_APP_BIN=$ROOT/target/debug/hopscope-app TAURI_DRIVER=$ROOT/.tools/bin/tauri-driver \
HOPSCOPE_ARTIFACTS=$ROOT/artifacts \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    cargo test -q -p hopscope-e2e --test gui bench_open_large_workspace -- --ignored --nocapture 2>&1 \
    | grep -E '^(rows|window|unlock|start|RSS|filter)'
