#!/usr/bin/env python3
"""Deterministic nested bank-transaction data for the promotion benchmark, split into objects.

Usage:
  gen_promote.py --out-dir DIR [--mb 200 | --rows N] [--files 16] [--seed 1]

Writes DIR/part-00.ndjson ... DIR/part-NN.ndjson (each about --mb / --files MB) and
DIR/part-00.csv ... with the same rows flattened (each with a header line), and
DIR/promote.meta.json describing them. The same seed always gives the same bytes.

The rows are gen_bank.py's (its account, merchant, counterparty, tag and memo pools) with
a sequence number and a list of structs added. NDJSON record, in this order:
  transaction_id    string, 26-char ULID-like
  seq               int, 1, 2, 3, ... across all files
  account           {id, iban, holder: {name, country}}        (struct in a struct)
  amount            float (2 decimals, negative = debit)
  currency          string (EUR mostly)
  fx_rate           float, present only when currency != EUR
  transaction_date  "YYYY-MM-DD"                                (date)
  booked_at         "YYYY-MM-DDTHH:MM:SS.mmmZ"                   (timestamp)
  merchant          {name, category (sometimes null), mcc int} or null (transfers)
  tags              array of strings (possibly empty)
  line_items        array of {sku, name, qty int, unit_price float, refunded bool}:
                    1-5 items for ~40% of card payments, else []
  memo              string (commas, quotes, rarely a newline), null, or absent
  channel, status   strings
  is_international  boolean
  balance_after     float, null while status == "pending"
  counterparty      {name, iban} for transfers/debits, otherwise null

CSV: the same rows, struct members flattened to columns (account_id, account_iban,
account_holder_name, account_holder_country, merchant_name, merchant_category,
merchant_mcc, counterparty_name, counterparty_iban); the two lists, tags and line_items,
are JSON-encoded into one text cell each; null or absent = empty cell; RFC 4180 quoting.

promote.meta.json also holds checksums a converted table must reproduce: the row count,
the sum of amount in cents, and the total number of tags and of line items.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_bank  # noqa: E402
from gen_bank import csv_field, jstr  # noqa: E402

GENERATOR_VERSION = 1
META = "promote.meta.json"

CSV_COLUMNS = [
    "transaction_id", "seq", "account_id", "account_iban", "account_holder_name",
    "account_holder_country", "amount", "currency", "fx_rate", "transaction_date",
    "booked_at", "merchant_name", "merchant_category", "merchant_mcc", "tags", "line_items",
    "memo", "channel", "status", "is_international", "balance_after", "counterparty_name",
    "counterparty_iban",
]

PRODUCT_ADJ = ["Organic", "Large", "Small", "Family", "Premium", "Classic", "Fresh", "Extra",
               "Mini", "Eco", "Spicy", "Light", "Double", "Süß", "Crème"]
PRODUCT_NOUN = ["Milk", "Bread", "Coffee", "Apples", "Cheese", "Batteries", "Charger", "T-Shirt",
                "Jeans", "Socks", "Novel", "Notebook", "Shampoo", "Aspirin", "Headphones",
                "Pasta", "Olive Oil", "Chocolate", "Yoghurt", "Water 6x1.5L", "Tea", "Rice"]


def build_products(rng: random.Random):
    """5,000 products: (json prefix up to "qty":, sku, unit_price in cents)."""
    products = []
    for i in range(5000):
        sku = f"SKU-{rng.randrange(10**6):06d}"
        name = f"{rng.choice(PRODUCT_ADJ)} {rng.choice(PRODUCT_NOUN)}"
        if rng.random() < 0.03:
            name += ', "special", edition'
        cents = int(rng.random() ** 2 * 20000) + 19
        products.append((f'{{"sku":"{sku}","name":{jstr(name)},"qty":', cents))
    return products


def generate(out_dir: str, seed: int, target_bytes: int | None, target_rows: int | None,
             n_files: int) -> dict:
    rng = random.Random(seed)
    pools = gen_bank.build_pools(rng)
    products = build_products(rng)
    n_prod = len(products)
    # tags as a CSV cell holding the JSON array, and the number of tags
    tag_lists = [(j, csv_field(j), j.count('"') // 2) for j, _ in pools[3]]
    rand, randrange = rng.random, rng.randrange

    def line_items(channel: str) -> list[str]:
        """1-5 line items for ~40% of card payments, as JSON objects."""
        if channel != "card" or rand() >= 0.4:
            return []
        items = []
        for _ in range(1 + int(rand() ** 2 * 5)):
            pj, pc = products[randrange(n_prod)]
            refunded = "true" if rand() < 0.02 else "false"
            items.append(f'{pj}{1 + int(rand() ** 3 * 6)},"unit_price":{pc / 100:.2f},'
                         f'"refunded":{refunded}}}')
        return items

    source = gen_bank.rows(rng, pools, on_card=line_items)

    os.makedirs(out_dir, exist_ok=True)
    meta_path = os.path.join(out_dir, META)
    if os.path.exists(meta_path):
        os.unlink(meta_path)
    for name in os.listdir(out_dir):  # older parts (another --files)
        if name.startswith("part-") and name.endswith((".ndjson", ".csv", ".tmp")):
            os.unlink(os.path.join(out_dir, name))

    per_file_bytes = target_bytes / n_files if target_bytes is not None else None
    per_file_rows = -(-target_rows // n_files) if target_rows is not None else None
    header = (",".join(CSV_COLUMNS) + "\n").encode()
    seq = 0
    amount_cents = n_tags = n_items = 0
    files = []
    for k in range(n_files):
        nd_path = os.path.join(out_dir, f"part-{k:02d}.ndjson")
        csv_path = os.path.join(out_dir, f"part-{k:02d}.csv")
        rows = nd_bytes = 0
        csv_bytes = len(header)
        with open(nd_path + ".tmp", "wb", buffering=0) as fnd, \
                open(csv_path + ".tmp", "wb", buffering=0) as fcsv:
            fcsv.write(header)
            done = False
            while not done:
                nd_batch = []
                csv_batch = []
                for _ in range(4096):
                    if per_file_rows is not None:
                        if rows >= per_file_rows or seq >= target_rows:
                            done = True
                            break
                    elif nd_bytes >= per_file_bytes:
                        done = True
                        break
                    seq += 1
                    (tid, acc_j, acc_c, cents, amount, currency, fx_j, fx_c, tdate, booked, mer_j,
                     mer_c, ti, memo_j, memo_c, channel, status, intl_s, bal_j, bal_c, cp_j, cp_c,
                     items) = next(source)
                    amount_cents += cents
                    tag_j, tag_c, tag_n = tag_lists[ti]
                    n_tags += tag_n
                    n_items += len(items or ())
                    items_j = "[" + ",".join(items or ()) + "]"
                    items_c = csv_field(items_j)

                    line = (f'{{"transaction_id":"{tid}","seq":{seq},"account":{acc_j},'
                            f'"amount":{amount},"currency":"{currency}",{fx_j}'
                            f'"transaction_date":"{tdate}","booked_at":"{booked}",'
                            f'"merchant":{mer_j},"tags":{tag_j},"line_items":{items_j},{memo_j}'
                            f'"channel":"{channel}","status":"{status}",'
                            f'"is_international":{intl_s},"balance_after":{bal_j},'
                            f'"counterparty":{cp_j}}}\n').encode()
                    nd_batch.append(line)
                    nd_bytes += len(line)
                    csv_batch.append(
                        f"{tid},{seq},{acc_c},{amount},{currency},{fx_c},{tdate},{booked},"
                        f"{mer_c},{tag_c},{items_c},{memo_c},{channel},{status},{intl_s},"
                        f"{bal_c},{cp_c}\n")
                    rows += 1
                fnd.write(b"".join(nd_batch))
                cb = "".join(csv_batch).encode()
                fcsv.write(cb)
                csv_bytes += len(cb)
        os.replace(nd_path + ".tmp", nd_path)
        os.replace(csv_path + ".tmp", csv_path)
        files.append({"ndjson": os.path.basename(nd_path), "ndjson_bytes": nd_bytes,
                      "csv": os.path.basename(csv_path), "csv_bytes": csv_bytes, "rows": rows})
    return {"rows": seq, "files": files,
            "ndjson_bytes": sum(f["ndjson_bytes"] for f in files),
            "csv_bytes": sum(f["csv_bytes"] for f in files),
            "checks": {"amount_cents": amount_cents, "tags": n_tags, "line_items": n_items}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True, help="directory to write the parts into")
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--mb", type=float, help="total NDJSON size in MB (1e6 bytes); default 200")
    size.add_argument("--rows", type=int, help="number of rows instead of --mb")
    ap.add_argument("--files", type=int, default=16, help="number of objects (default 16)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.rows is None and a.mb is None:
        a.mb = 200.0
    if (a.mb is not None and a.mb <= 0) or (a.rows is not None and a.rows < 1) or a.files < 1:
        ap.error("--mb must be > 0, --rows and --files >= 1")
    target_bytes = int(a.mb * 1e6) if a.mb is not None else None

    t0 = time.perf_counter()
    res = generate(a.out_dir, a.seed, target_bytes, a.rows, a.files)
    dt = time.perf_counter() - t0
    meta = {"generator": "gen_promote.py", "generator_version": GENERATOR_VERSION,
            "gen_bank_version": gen_bank.GENERATOR_VERSION, "seed": a.seed, "mb": a.mb,
            "rows_requested": a.rows, "n_files": a.files, **res, "csv_columns": CSV_COLUMNS}
    meta_path = os.path.join(a.out_dir, META)
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    os.replace(meta_path + ".tmp", meta_path)
    print(f"{a.out_dir}\t{a.files} x part-NN.ndjson\t{res['ndjson_bytes']} bytes "
          f"({res['ndjson_bytes'] / 1e6:.1f} MB)\t{res['rows']} rows")
    print(f"{a.out_dir}\t{a.files} x part-NN.csv\t{res['csv_bytes']} bytes "
          f"({res['csv_bytes'] / 1e6:.1f} MB)")
    print(f"{meta_path}\tgenerated in {dt:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
