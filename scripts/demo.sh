#!/usr/bin/env bash
# `make demo`: the end-to-end story, as far as it is built. Today: profile generated bank
# transactions (nested NDJSON, and the same rows as CSV), then show what bad input gets.
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
