#!/usr/bin/env bash
# `make demo`: the end-to-end story, as far as it is built. Today: profile generated bank
# transactions (nested NDJSON, and the same rows as CSV), show what bad input gets, then
# push the payloads over HTTP to `latebind serve` and look at the raw and dead-letter zones.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/latebind
DEMO=build/demo
mkdir -p "$DEMO"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Generating 5,000 bank transactions as nested NDJSON and as flat CSV"
.venv/bin/python bench/gen_bank.py --out-dir "$DEMO" --rows 5000 --seed 7

step "latebind profile $DEMO/bank.ndjson   (every record, per field path)"
"$BIN" profile "$DEMO/bank.ndjson"

step "latebind profile $DEMO/bank.csv   (dialect sniffed, every cell typed)"
"$BIN" profile "$DEMO/bank.csv"

step "The same profile as JSON, gzip-compressed input (first fields only)"
gzip -c "$DEMO/bank.ndjson" > "$DEMO/bank.ndjson.gz"
"$BIN" profile --json "$DEMO/bank.ndjson.gz" > "$DEMO/bank.profile.json"
head -n 30 "$DEMO/bank.profile.json"
echo "  ... ($(wc -l < "$DEMO/bank.profile.json") lines in $DEMO/bank.profile.json)"

step "Bad input gets one clear line per problem, and the rest is still profiled"
{
  head -n 2 "$DEMO/bank.ndjson"
  echo '{"transaction_id": "T3", "amount": 12.5 "currency": "EUR"}'
  echo '42'
  head -n 4 "$DEMO/bank.ndjson" | tail -n 2
} > "$DEMO/broken.ndjson"
set +e
"$BIN" profile "$DEMO/broken.ndjson" > /dev/null
rc=$?
set -e
echo "exit code: $rc (2 = bad input)"

step "latebind serve: payloads over HTTP, 202 only once durable"
HOME_DIR="$DEMO/home"
rm -rf "$HOME_DIR"
"$BIN" --home "$HOME_DIR" serve --listen 127.0.0.1:0 2> "$DEMO/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
PORT=""
for _ in $(seq 50); do
  PORT=$(grep -o '"address":"127.0.0.1:[0-9]*"' "$DEMO/serve.log" | grep -o '[0-9]*"$' | tr -d '"') || true
  [ -n "$PORT" ] && break
  sleep 0.1
done
.venv/bin/python - "$PORT" "$DEMO" <<'PY'
import http.client, json, sys, time
port, demo = int(sys.argv[1]), sys.argv[2]
def post(source, path, ctype):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    with open(path, "rb") as f:
        conn.request("POST", f"/v1/sources/{source}/payloads", body=f.read(),
                     headers={"Content-Type": ctype})
    res = conn.getresponse()
    print(f"  POST {path} -> {res.status} {res.read().decode().strip()}")
post("bank", f"{demo}/bank.ndjson", "application/x-ndjson")
post("bank", f"{demo}/bank.csv", "text/csv")
post("bank", f"{demo}/broken.ndjson", "application/x-ndjson")
time.sleep(1)  # profiling runs off the request path
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
conn.request("GET", "/v1/sources")
print("  GET /v1/sources ->", conn.getresponse().read().decode().strip())
PY
kill -TERM $SERVER
wait $SERVER || true
trap - EXIT
echo "  landed and profiled:"
find "$HOME_DIR" -type f | sed "s|$HOME_DIR/|    |" | sort

step "latebind deadletter list: what could not be parsed, and why"
"$BIN" --home "$HOME_DIR" deadletter list
