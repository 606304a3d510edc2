#!/usr/bin/env bash
# `make demo`: the end-to-end story, as far as it is built. Today: profile generated bank
# transactions (nested NDJSON, and the same rows as CSV), show what bad input gets, push the
# payloads over HTTP to `latebind serve` and look at the raw and dead-letter zones; then the
# seed's drift story: a source renames a field, the registry calls it BREAKING, a webhook gets
# the alert, and a person resolves it.
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
rm -f "$DEMO/webhook.port" "$DEMO/serve.log"  # never read a port from an earlier run
.venv/bin/python scripts/demo_webhook.py "$DEMO/webhook.port" &
WEBHOOK=$!
trap 'kill $WEBHOOK 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$DEMO/webhook.port" ] && break; sleep 0.1; done
"$BIN" --home "$HOME_DIR" serve --listen 127.0.0.1:0 \
  --alert-webhook "http://127.0.0.1:$(cat "$DEMO/webhook.port")/hooks/drift" 2> "$DEMO/serve.log" &
SERVER=$!
trap 'kill $SERVER $WEBHOOK 2>/dev/null || true' EXIT
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
post("bank-csv", f"{demo}/bank.csv", "text/csv")
post("bank", f"{demo}/broken.ndjson", "application/x-ndjson")
time.sleep(1)  # profiling runs off the request path
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
conn.request("GET", "/v1/sources")
for s in json.loads(conn.getresponse().read())["sources"]:
    print(f"  GET /v1/sources: {s['id']}: schema v{s['latest_version']} {s['latest_status']}, "
          f"{s['payloads']} payload(s), {s['records']} records, {s['dead_letters']} dead-lettered")

print("\n\033[1m== The seed's drift story: source 'orders' over HTTP\033[0m")
import random
random.seed(3)
rows = [{"transaction_id": f"T{i:05d}", "transaction_date": f"2026-01-{1 + i % 28:02d}",
         "amount": round(random.uniform(1, 500), 2), "customer_id": random.randint(1000, 9999)}
        for i in range(500)]
def post_rows(label, records):
    path = f"{demo}/orders-{label}.ndjson"
    with open(path, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    print(f"  {label}:")
    post("orders", path, "application/x-ndjson")
    time.sleep(0.5)
post_rows("v1", rows)
post_rows("additive-channel", [dict(r, channel=random.choice(["web", "pos"])) for r in rows])
post_rows("channel-sometimes-missing", [dict(r, channel="web") if i % 3 else r
                                        for i, r in enumerate(rows)])
renamed = [{("txn_date" if k == "transaction_date" else k): v for k, v in r.items()} for r in rows]
post_rows("transaction_date-renamed-to-txn_date", [dict(r, channel="web") for r in renamed])
time.sleep(1.5)  # the alert goes out within 2 s of the 202
PY
kill -TERM $SERVER
wait $SERVER || true
kill $WEBHOOK 2>/dev/null || true
trap - EXIT
echo "  landed and profiled (first files):"
find "$HOME_DIR" -type f | sed "s|$HOME_DIR/|    |" | sort | head -n 12

step "latebind deadletter list: what could not be parsed, and why"
"$BIN" --home "$HOME_DIR" deadletter list

step "latebind schema history orders: v2 added a field (ACTIVE), v3 renamed one (BREAKING)"
"$BIN" --home "$HOME_DIR" schema history orders

step "latebind schema diff orders 2 3"
"$BIN" --home "$HOME_DIR" schema diff orders 2 3

step "latebind promote: bank and bank-csv become Parquet tables; orders is blocked by its BREAKING v3"
set +e
"$BIN" --home "$HOME_DIR" promote
echo "  (exit code $?: 3 means some source was blocked)"
set -e

step "A person confirms the rename: the curated column keeps its name and stays filled"
"$BIN" --home "$HOME_DIR" schema resolve orders --version 3 --status ACTIVE \
  --note "txn_date is transaction_date renamed by the producer" --map txn_date=transaction_date
"$BIN" --home "$HOME_DIR" schema history orders

step "The schema other engines bind late (Spark StructType JSON)"
"$BIN" --home "$HOME_DIR" schema export orders --format spark

step "latebind promote: orders now binds v3, txn_date values land in transaction_date"
"$BIN" --home "$HOME_DIR" promote
"$BIN" --home "$HOME_DIR" tables

step "DuckDB reads the curated table: every row has its transaction_date, old name or new"
.venv/bin/python - "$HOME_DIR" <<'PY'
import sys, duckdb
home = sys.argv[1]
sql = (f"SELECT count(*) AS rows, count(transaction_date) AS with_transaction_date, "
       f"count(DISTINCT _source_object) AS raw_objects, round(sum(amount), 2) AS amount "
       f"FROM read_parquet('{home}/curated/orders/**/*.parquet', hive_partitioning = true, "
       f"union_by_name = true)")
print("  " + sql)
con = duckdb.connect()
cur = con.execute(sql)
names = [d[0] for d in cur.description]
for row in cur.fetchall():
    print("  " + ", ".join(f"{n}={v}" for n, v in zip(names, row)))
PY
