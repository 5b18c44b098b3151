#!/usr/bin/env bash
# Gateway benchmark for BENCHMARKS.md. Runs h2load (HTTP/1.1, keep-alive)
# side by side against four targets on 127.0.0.1, all backed by the demo
# network's stub destinations:
#   direct    d-corp's stub destination over TLS;
#   gateway   int-one (inbound gateway, recording on) to b-corp, one hop;
#   2 hops    int-one and int-two (delegated) to d-corp;
#   nginx     nginx as a TLS reverse proxy to d-corp, with int-one's
#             certificate and key for fhir.int-one.test.
# Each target gets a 2 KB Patient read and a 1 MB searchset Bundle. Before
# that, curl streams a 1 GB Binary through the two hops while the script
# reads the gateway process's peak RSS. Then h2load sends 2 KB reads through
# both hops at fixed rates, and the script counts the hop records the writer
# stores. At the end, the records written, dropped and lost must add up to
# the hop records the requests caused.
#
# Usage: bench/gateway.sh   (environment: CONNECTIONS=16, DURATION=10 and
#                            WARM_UP=2 seconds, STREAM_BYTES=1073741824,
#                            BODY_LIMIT=65536 bytes of each body recorded,
#                            RECORD_RATES="1000 2500 5000" requests/s and
#                            RECORD_SECONDS=10 for the fixed-rate phase)
# Needs: h2load (Debian nghttp2-client), nginx, curl, python3, flock.
set -euo pipefail
# Command substitutions stop at the first failure too.
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10}
WARM_UP=${WARM_UP:-2}
STREAM_BYTES=${STREAM_BYTES:-1073741824}
# Below the gateway's default of 1 MiB: at the Bundle's rate, 1 MiB per body
# writes about 1 GB a second into the workspace and fills the disk.
BODY_LIMIT=${BODY_LIMIT:-65536}
READY_TIMEOUT=120

WORK=$(mktemp -d)
GATEWAY_PID=
NGINX_PID=

stop_all() {
    local status=$?
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2> /dev/null; then
        kill -QUIT "$NGINX_PID" 2> /dev/null || true
        wait "$NGINX_PID" 2> /dev/null || true
    fi
    if [ -n "$GATEWAY_PID" ]; then
        kill -TERM "$GATEWAY_PID" 2> /dev/null || true
        local gateway_status=0
        wait "$GATEWAY_PID" 2> /dev/null || gateway_status=$?
        if [ "$gateway_status" -gt 128 ]; then
            echo "the gateway process was killed by signal $(( gateway_status - 128 )) ($(kill -l "$gateway_status"))" >&2
        fi
    fi
    if [ "$status" -ne 0 ] && [ -f "$WORK/gateway.log" ]; then
        echo "gateway output:" >&2
        tail -n 20 "$WORK/gateway.log" >&2
    fi
    rm -rf "$WORK"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

fail() {
    echo "bench/gateway.sh: $*" >&2
    exit 1
}

for tool in h2load nginx curl python3 flock; do
    command -v "$tool" > /dev/null || fail "$tool is missing; install it (make bench installs nghttp2-client and nginx)"
done

cd "$ROOT"
cargo build --release -q -p hopscope-cli
HOPSCOPE=$ROOT/target/release/hopscope

export XDG_DATA_HOME=$WORK/data
export HOPSCOPE_WORKSPACE=$WORK/bench.db
echo "bench passphrase" > "$WORK/passphrase"
export HOPSCOPE_PASSPHRASE_FILE=$WORK/passphrase
AUTHORITIES=$XDG_DATA_HOME/hopscope/gateway-authorities.pem

# The demo network has fixed ports (8443, 9443, 9444, 9445). The gateway
# tests take the same lock file before they use them, so a benchmark and a
# test run wait for each other instead of failing.
exec 9> "${TMPDIR:-/tmp}/hopscope-demo-ports.lock"
flock -w 600 9 || fail "another gateway held the demo ports for 10 minutes; run the benchmark later"
for port in 8443 9443 9444 9445; do
    if ss -ltnH "sport = :$port" | grep -q .; then
        fail "port $port on 127.0.0.1 is in use by another program; stop it and rerun"
    fi
done

"$HOPSCOPE" gateway run --demo --stub-destinations --body-limit "$BODY_LIMIT" > "$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 $(( READY_TIMEOUT * 5 ))); do
    grep -q '^gateway ready' "$WORK/gateway.log" && break
    kill -0 "$GATEWAY_PID" 2> /dev/null || fail "hopscope gateway run --demo exited before it was ready"
    sleep 0.2
done
grep -q '^gateway ready' "$WORK/gateway.log" || fail "the gateway was not ready after $READY_TIMEOUT s"

# nginx: a TLS reverse proxy on a free port with int-one's certificate,
# verifying d-corp's certificate against the workspace's authorities and
# keeping upstream connections open, as the gateway does.
NGINX_DIR=$WORK/nginx
mkdir -p "$NGINX_DIR"
"$HOPSCOPE" cert export d-corp-public --format pem --chain --key --key-in-clear \
    --out "$NGINX_DIR/int-one.pem" > /dev/null
NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$NGINX_DIR/nginx.conf" << EOF
daemon off;
user root;
worker_processes auto;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 1024; }
http {
    access_log $NGINX_DIR/access.log;
    client_body_temp_path $NGINX_DIR/client_body;
    proxy_temp_path $NGINX_DIR/proxy;
    fastcgi_temp_path $NGINX_DIR/fastcgi;
    uwsgi_temp_path $NGINX_DIR/uwsgi;
    scgi_temp_path $NGINX_DIR/scgi;
    upstream d_corp {
        server 127.0.0.1:9443;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        server_name fhir.int-one.test;
        ssl_certificate $NGINX_DIR/int-one.pem;
        ssl_certificate_key $NGINX_DIR/int-one.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        keepalive_requests 1000000;
        location /d-corp/ {
            proxy_pass https://d_corp/fhir/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host d-corp.internal.test:9443;
            proxy_ssl_protocols TLSv1.2 TLSv1.3;
            proxy_ssl_server_name on;
            proxy_ssl_name d-corp.internal.test;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $AUTHORITIES;
            # Keep bodies in memory like the gateway, which streams them and never writes them to disk.
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" &
NGINX_PID=$!

curl_fetch() {
    local host=$1 port=$2 url=$3
    curl -sS --max-time "${CURL_MAX_TIME:-60}" --resolve "$host:$port:127.0.0.1" --cacert "$AUTHORITIES" \
        -o /dev/null -w '%{http_code} %{size_download}' "$url"
}
# Hop records the gateway must account for (written, dropped or lost): one
# line per request batch, "requests hops".
EXPECTED_RECORDS=$WORK/expected-records

# Returns how many hops of the gateway a request to HOST:PORT passes.
gateway_hops() {
    case "$1:$2" in
        fhir.b-corp.test:8443) echo 1 ;;
        fhir.int-one.test:8443) echo 2 ;;
        *) echo 0 ;;
    esac
}

for _ in $(seq 1 50); do
    [ "$(curl_fetch fhir.int-one.test "$NGINX_PORT" "https://fhir.int-one.test:$NGINX_PORT/d-corp/metadata" 2> /dev/null || true)" != "" ] && break
    kill -0 "$NGINX_PID" 2> /dev/null || fail "nginx exited: $(cat "$NGINX_DIR/error.log")"
    sleep 0.2
done

# Targets: label, host, port and URL prefix of the Patient endpoints.
TARGETS=(
    "direct|d-corp.internal.test|9443|https://d-corp.internal.test:9443/fhir"
    "gateway|fhir.b-corp.test|8443|https://fhir.b-corp.test:8443/r4"
    "2 hops|fhir.int-one.test|8443|https://fhir.int-one.test:8443/d-corp"
    "nginx|fhir.int-one.test|$NGINX_PORT|https://fhir.int-one.test:$NGINX_PORT/d-corp"
)
SIZES=("2 KB read|/Patient/1" "1 MB Bundle|/Patient?_count=500")

echo "## machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(h2load --version | head -n 1), $(nginx -v 2>&1), $(openssl version)"
echo

# Every target must return the body before it is measured.
for size in "${SIZES[@]}"; do
    path=${size#*|}
    for target in "${TARGETS[@]}"; do
        IFS='|' read -r label host port prefix <<< "$target"
        result=$(curl_fetch "$host" "$port" "$prefix$path") || fail "$label $path: curl failed"
        echo "1 $(gateway_hops "$host" "$port")" >> "$EXPECTED_RECORDS"
        [ "${result%% *}" = 200 ] || fail "$label $path: status ${result%% *}, expected 200"
        # b-corp's bodies name another public URL, so their sizes differ slightly.
        echo "$label $path: ${result#* } bytes"
    done
done
echo

# Runs h2load for a number of requests (-n), checks that every response was
# a 2xx, and prints its requests per second. A count rather than a duration
# (-D) lets every connection finish its last response before h2load closes
# it.
# `gateway run` keeps SIGPIPE ignored, so a client that closes a TLS
# connection cannot kill it; the check after each run would catch it.
run_h2load() {
    local port=$1 url=$2 requests=$3 log=$4
    local output
    # h2load appends to an existing log file.
    [ "$log" = /dev/null ] || rm -f "$log"
    output=$(h2load --h1 -c "$CONNECTIONS" -n "$requests" \
        --connect-to "127.0.0.1:$port" --log-file "$log" \
        -H 'accept: application/fhir+json' "$url" 2>&1) || fail "h2load failed on $url: $output"
    kill -0 "$GATEWAY_PID" 2> /dev/null || fail "the gateway process exited during the run on $url"
    grep -q "^requests: $requests total, $requests started, $requests done, $requests succeeded" <<< "$output" \
        || fail "h2load reported failures on $url: $(grep '^requests:' <<< "$output")"
    grep -q "^status codes: $requests 2xx" <<< "$output" \
        || fail "h2load got non-2xx responses from $url: $(grep '^status codes' <<< "$output")"
    echo "$requests $(gateway_hops "$(url_host "$url")" "$port")" >> "$EXPECTED_RECORDS"
    sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<< "$output"
}

url_host() { local rest=${1#https://}; rest=${rest%%/*}; echo "${rest%%:*}"; }

# Measures one URL: a short calibration run, a warm-up of about WARM_UP
# seconds, then about DURATION seconds of requests. Prints "rps p50_ms
# p99_ms", the latencies from h2load's per-request log (tab-separated
# columns: start, status, microseconds until the end of the response).
measure() {
    local port=$1 url=$2 log=$WORK/h2load.log
    local rps
    rps=$(run_h2load "$port" "$url" $(( CONNECTIONS * 20 )) /dev/null)
    rps=$(run_h2load "$port" "$url" "$(request_count "$rps" "$WARM_UP")" /dev/null)
    rps=$(run_h2load "$port" "$url" "$(request_count "$rps" "$DURATION")" "$log")
    python3 - "$log" "$rps" << 'EOF'
import statistics, sys
latencies = sorted(int(line.split("\t")[2]) / 1000 for line in open(sys.argv[1]) if line.strip())
cuts = statistics.quantiles(latencies, n=100, method="inclusive")
print(f"{float(sys.argv[2]):.0f} {cuts[49]:.2f} {cuts[98]:.2f}")
EOF
}

# Returns the request count that takes about SECONDS at RPS requests per
# second, at least 20 per connection.
request_count() {
    python3 -c "import sys; print(max(int(float(sys.argv[1]) * float(sys.argv[2])), 20 * int(sys.argv[3])))" \
        "$1" "$2" "$CONNECTIONS"
}

# VmHWM is the process's peak RSS. Writing 5 to clear_refs resets it
# (Linux 4.0 and later), so that each figure covers only its own phase and
# not the start, whose scrypt unlock alone allocates 128 MiB.
vm_mib() { awk -v field="$1:" '$1 == field { print int($2 / 1024) }' "/proc/$GATEWAY_PID/status"; }
reset_peak_rss() { echo 5 > "/proc/$GATEWAY_PID/clear_refs"; }

echo "## memory of the gateway process (int-one, int-two and both stub destinations)"
reset_peak_rss
before=$(vm_mib VmRSS)
start=$(date +%s.%N)
result=$(CURL_MAX_TIME=300 curl_fetch fhir.int-one.test 8443 "https://fhir.int-one.test:8443/d-corp/Binary/stream?bytes=$STREAM_BYTES") \
    || fail "curl failed while streaming $STREAM_BYTES bytes"
elapsed=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$start")
[ "$result" = "200 $STREAM_BYTES" ] || fail "streaming returned '$result', expected '200 $STREAM_BYTES'"
echo "1 2" >> "$EXPECTED_RECORDS"
echo "streamed $STREAM_BYTES bytes through int-one and int-two in $elapsed s (curl, certificate verified)"
echo "RSS before the stream: $before MiB; peak RSS during the stream: $(vm_mib VmHWM) MiB"
reset_peak_rss
echo

# The highest hop record id in the workspace. Ids grow by one per record
# and are not reused when the retention limit deletes old ones, so the
# difference over a phase is the number of records written in it.
max_hop_record_id() {
    python3 - "$HOPSCOPE_WORKSPACE" << 'EOF'
import sqlite3, sys
connection = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(connection.execute("SELECT COALESCE(MAX(id), 0) FROM hop_records").fetchone()[0])
EOF
}

# Sends 2 KB reads through both hops at a fixed rate for RECORD_SECONDS and
# prints a table row: the rate, the hop records caused, written and dropped.
record_at_rate() {
    local rate=$1 requests=$(( $1 * RECORD_SECONDS )) before after output achieved
    before=$(max_hop_record_id)
    output=$(h2load --h1 -c "$CONNECTIONS" -n "$requests" --rps "$(( rate / CONNECTIONS ))" \
        --connect-to 127.0.0.1:8443 -H 'accept: application/fhir+json' \
        "https://fhir.int-one.test:8443/d-corp/Patient/1" 2>&1) || fail "h2load failed at $rate requests/s: $output"
    grep -q "^status codes: $requests 2xx" <<< "$output" \
        || fail "h2load got non-2xx responses at $rate requests/s: $(grep '^status codes' <<< "$output")"
    echo "$requests 2" >> "$EXPECTED_RECORDS"
    # The writer flushes at least every 100 ms; a second lets the last batch land.
    sleep 1
    after=$(max_hop_record_id)
    achieved=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<< "$output")
    echo "| $rate | ${achieved%.*} | $(( 2 * requests )) | $(( after - before )) | $(( 2 * requests - (after - before) )) |"
}

RECORD_SECONDS=${RECORD_SECONDS:-10}
echo "## recording at a fixed rate: 2 KB reads through int-one and int-two, $RECORD_SECONDS s each"
echo
echo "| requests/s asked | requests/s done | hop records | written | dropped |"
echo "| ---: | ---: | ---: | ---: | ---: |"
for rate in ${RECORD_RATES:-1000 2500 5000}; do
    record_at_rate "$rate"
done
echo

echo "## load: $CONNECTIONS connections, HTTP/1.1 keep-alive, about ${DURATION} s after about ${WARM_UP} s of warm-up, h2load without certificate verification"
echo
echo "| size | target | requests/s | p50 ms | p99 ms |"
echo "| --- | --- | ---: | ---: | ---: |"
declare -A RPS
for size in "${SIZES[@]}"; do
    size_label=${size%%|*}
    path=${size#*|}
    for target in "${TARGETS[@]}"; do
        IFS='|' read -r label host port prefix <<< "$target"
        figures=$(measure "$port" "$prefix$path")
        read -r rps p50 p99 <<< "$figures"
        RPS["$size_label/$label"]=$rps
        echo "| $size_label | $label | $rps | $p50 | $p99 |"
    done
done
echo

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
echo "## throughput ratios"
echo
echo "| size | gateway/nginx | gateway/direct | 2 hops/nginx | 2 hops/direct |"
echo "| --- | ---: | ---: | ---: | ---: |"
for size in "${SIZES[@]}"; do
    s=${size%%|*}
    echo "| $s | $(ratio "${RPS[$s/gateway]}" "${RPS[$s/nginx]}") | $(ratio "${RPS[$s/gateway]}" "${RPS[$s/direct]}") | $(ratio "${RPS[$s/2 hops]}" "${RPS[$s/nginx]}") | $(ratio "${RPS[$s/2 hops]}" "${RPS[$s/direct]}") |"
done
echo

echo "peak RSS of the gateway process during the load runs: $(vm_mib VmHWM) MiB"
echo

kill -TERM "$GATEWAY_PID"
wait "$GATEWAY_PID" || fail "the gateway exited with status $? on SIGTERM"
GATEWAY_PID=
echo "## records"
grep '^stopped:' "$WORK/gateway.log"
# Every hop record is written, dropped or lost, so the three add up to the
# hop records the requests above caused.
expected=$(awk '{ total += $1 * $2 } END { print total }' "$EXPECTED_RECORDS")
accounted=$(sed -n 's/^stopped: \([0-9]*\) hop records written, \([0-9]*\) dropped .*, \([0-9]*\) lost .*/\1 + \2 + \3/p' "$WORK/gateway.log")
echo "hop records caused by the requests: $expected; written + dropped + lost: $(( accounted ))"
[ "$(( accounted ))" -eq "$expected" ] || fail "the gateway accounted for $(( accounted )) hop records, expected $expected"
