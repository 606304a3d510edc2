#!/usr/bin/env python3
"""Deterministic generator of bank-transaction benchmark data.

Writes the same rows twice:

  DIR/bank.ndjson  nested NDJSON, one JSON object per line
  DIR/bank.csv     the rows flattened into columns (header line, RFC 4180 quoting,
                   "\\n" record separator; tags joined by '|'; null/missing -> empty field)
  DIR/bank.meta.json  what was generated (seed, size request, rows, byte sizes)

Usage:
  gen_bank.py --out-dir DIR [--mb 200 | --rows N] [--seed 1]

--mb sizes the NDJSON file (MB = 1e6 bytes): rows are added until the NDJSON file
reaches that size. The same seed always gives the same rows, and a smaller request
is a prefix of a larger one. Only the standard library is used.

Shape of one NDJSON record (field order fixed; "memo" and "fx_rate" are sometimes absent):
  transaction_id    string, 26-char ULID-like (Crockford base32, time-ordered prefix)
  account           {id, iban, holder: {name, country}}
  amount            float (2 decimals, negative = debit)
  currency          string (EUR mostly)
  fx_rate           float, present only when currency != EUR
  transaction_date  "YYYY-MM-DD"
  booked_at         "YYYY-MM-DDTHH:MM:SS.mmmZ"
  merchant          {name, category (sometimes null), mcc int} or null (transfers)
  tags              array of strings (possibly empty)
  memo              string (may contain commas, quotes, rarely a newline), null, or absent
  channel, status   strings
  is_international  boolean
  balance_after     float, null while status == "pending"
  counterparty      {name, iban} for transfers/debits, otherwise null
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import sys
import time

GENERATOR_VERSION = 1

CSV_COLUMNS = [
    "transaction_id", "account_id", "account_iban", "account_holder_name",
    "account_holder_country", "amount", "currency", "fx_rate", "transaction_date",
    "booked_at", "merchant_name", "merchant_category", "merchant_mcc", "tags", "memo",
    "channel", "status", "is_international", "balance_after", "counterparty_name",
    "counterparty_iban",
]

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]  # 10 bits -> 2 chars

FIRST = ["Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
         "Katrin", "Lukas", "Marie", "Noah", "Olga", "Paul", "Quentin", "Rosa", "Sven", "Tara",
         "José", "Zoë", "Łukasz", "Renée", "Søren", "Ana María", "Jean-Luc", "Siobhán",
         "Mei", "Arjun", "Fatima", "Liam", "Emma", "Mateo", "Chloé", "Nils"]
LAST = ["Müller", "Schmidt", "Dupont", "Martin", "García", "Rossi", "Jansen", "Smith",
        "O'Brien", "Kowalski", "Nowak", "Andersson", "Silva", "Bianchi", "Dubois", "Fischer",
        "Weber", "de Vries", "van der Berg", "Novák", "Horváth", "Byrne", "Ferreira", "Lindqvist",
        "Smith, Jr.", "Nguyen", "Papadopoulos", "Yılmaz"]
COUNTRIES = ["DE", "DE", "DE", "FR", "FR", "NL", "ES", "IT", "BE", "AT", "IE", "PT", "PL", "SE",
             "GB", "US"]
CURRENCIES = ["EUR"] * 20 + ["USD", "USD", "GBP", "GBP", "CHF", "PLN", "SEK"]
FX = {"USD": 1.08, "GBP": 0.86, "CHF": 0.95, "PLN": 4.33, "SEK": 11.4}
CATEGORIES = [("grocery", 5411), ("restaurants", 5812), ("fast_food", 5814), ("fuel", 5541),
              ("airlines", 4511), ("hotels", 7011), ("transit", 4111), ("pharmacy", 5912),
              ("electronics", 5732), ("clothing", 5651), ("utilities", 4900),
              ("telecom", 4814), ("streaming", 4899), ("bookstores", 5942),
              ("online_marketplace", 5399), ("atm", 6011), ("insurance", 6300)]
MERCHANT_WORDS = ["Central", "Nord", "Süd", "Express", "Market", "Café", "Bistro", "Shell",
                  "Lidl", "Aldi", "Rewe", "Carrefour", "Albert Heijn", "Zara", "H&M",
                  "MediaMarkt", "Fnac", "Deutsche Bahn", "SNCF", "Ryanair", "Lufthansa",
                  "Spotify", "Netflix", "Vodafone", "Orange", "Apotheke", "Boulangerie",
                  "Trattoria", "Pizzeria", "Amazon EU S.à r.l.", "Ikea", "Decathlon"]
MERCHANT_ODD = ['Joe\'s "Best" Pizza', "Smith & Sons, Ltd.", "Café \"Le Zinc\"",
                "Bäckerei Möller, Filiale 3", "Kiosk am Markt, Inh. K. Yılmaz"]
TAGS = ["recurring", "online", "contactless", "refund", "subscription", "atm", "transfer",
        "salary", "travel", "food", "fuel", "flagged", "pending-review", "split", "business",
        "personal", "chip", "3ds", "wallet", "cashback"]
CHANNELS = ["card"] * 12 + ["sepa_transfer"] * 3 + ["direct_debit"] * 2 + ["atm", "instant"]
MEMO_PLAIN = ["Invoice {n}", "Rent {month}", "Order #{n}", "Groceries", "Thanks!",
              "Dinner with Anna", "Refund for order {n}", "Salary {month}", "Gym membership",
              "Birthday present", "Ref {n}/{n2}", "Monthly subscription", "Taxi to airport",
              "Utilities Q{q}", "Reimbursement trip {month}"]
MEMO_TRICKY = ["Ref: {n}, order {n2}", 'Dinner with "Anna", Bob and Carl',
               "Split 3 ways, my share", 'He said "thanks"', "Payment, part {q} of 4",
               "Café, croissant, ☕", 'Quote "inside", comma, and more']
MEMO_MULTILINE = ["Line one\nLine two", "Invoice {n}\nPaid in full, thanks",
                  'Note:\n"urgent", call back']
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def csv_field(s: str) -> str:
    """RFC 4180: quote when the field holds a comma, quote, CR or LF; double inner quotes."""
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def jstr(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def build_pools(rng: random.Random):
    accounts = []
    for i in range(20000):
        country = rng.choice(COUNTRIES)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        acc_id = f"ACC{10000000 + i * 37 % 90000000:08d}"
        iban = f"{country}{rng.randrange(10, 100)}{rng.randrange(10**17, 10**18)}"
        j = (f'{{"id":"{acc_id}","iban":"{iban}","holder":{{"name":{jstr(name)},'
             f'"country":"{country}"}}}}')
        c = f"{acc_id},{iban},{csv_field(name)},{country}"
        start_balance = rng.randrange(-50000, 2_000_000)  # cents
        accounts.append((j, c, country, start_balance))

    merchants = []
    for i in range(3000):
        if rng.random() < 0.04:
            name = rng.choice(MERCHANT_ODD)
        else:
            name = f"{rng.choice(MERCHANT_WORDS)} {rng.choice(MERCHANT_WORDS)} {rng.randrange(1, 999)}"
        cat, mcc = rng.choice(CATEGORIES)
        if rng.random() < 0.02:
            cat_j, cat_c = "null", ""
        else:
            cat_j, cat_c = f'"{cat}"', cat
        j = f'{{"name":{jstr(name)},"category":{cat_j},"mcc":{mcc}}}'
        c = f"{csv_field(name)},{cat_c},{mcc}"
        merchants.append((j, c))

    counterparties = []
    for i in range(5000):
        country = rng.choice(COUNTRIES)
        name = (f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.7
                else f"{rng.choice(MERCHANT_WORDS)} GmbH")
        iban = f"{country}{rng.randrange(10, 100)}{rng.randrange(10**17, 10**18)}"
        j = f'{{"name":{jstr(name)},"iban":"{iban}"}}'
        c = f"{csv_field(name)},{iban}"
        counterparties.append((j, c))

    tag_lists = []
    for i in range(4000):
        k = rng.choice([0, 0, 1, 1, 1, 2, 2, 3, 4])
        tl = rng.sample(TAGS, k)
        j = "[" + ",".join(f'"{t}"' for t in tl) + "]"
        tag_lists.append((j, "|".join(tl)))

    memos = []
    for i in range(3000):
        r = rng.random()
        if r < 0.01:
            tpl = rng.choice(MEMO_MULTILINE)
        elif r < 0.15:
            tpl = rng.choice(MEMO_TRICKY)
        else:
            tpl = rng.choice(MEMO_PLAIN)
        m = tpl.format(n=rng.randrange(1000, 999999), n2=rng.randrange(10, 9999),
                       month=rng.choice(MONTHS), q=rng.randrange(1, 5))
        memos.append((f'"memo":{jstr(m)},', csv_field(m)))
    return accounts, merchants, counterparties, tag_lists, memos


def rows(rng: random.Random, pools, on_card=None):
    """The transactions, one tuple of formatted fields per row, forever, in time order.

    `pools` is build_pools(rng)'s result. `on_card(channel)` is called for card and ATM
    payments right after their merchant, date and amount are drawn (it may draw from `rng`
    too: gen_promote.py adds line items there) and its result is the row's `extra`. Yields
    (tid, acc_j, acc_c, cents, amount, currency, fx_j, fx_c, tdate, booked, mer_j, mer_c,
    tag_index, memo_j, memo_c, channel, status, intl_s, bal_j, bal_c, cp_j, cp_c, extra):
    *_j the JSON text of a value (fx_j and memo_j whole members, empty when absent), *_c
    its CSV cell(s), tag_index an index into pools' tag lists.
    """
    accounts, merchants, counterparties, tag_lists, memos = pools
    balances = [a[3] for a in accounts]
    n_acc, n_mer, n_cp, n_tag, n_memo = (len(accounts), len(merchants), len(counterparties),
                                         len(tag_lists), len(memos))

    hms = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
    msec = [f".{i:03d}Z" for i in range(1000)]
    epoch = _dt.date(2024, 1, 1)
    epoch_ms = int(_dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc).timestamp() * 1000)
    day_cache: dict[int, str] = {}

    def day_str(d: int) -> str:
        s = day_cache.get(d)
        if s is None:
            s = (epoch + _dt.timedelta(days=d)).isoformat()
            day_cache[d] = s
        return s

    rand, randrange, getrandbits = rng.random, rng.randrange, rng.getrandbits
    t = 0  # seconds since epoch
    while True:
        t += randrange(0, 180)
        day, sod = divmod(t, 86400)
        ms = randrange(1000)
        booked_day = day_str(day)
        booked = f"{booked_day}T{hms[sod]}{msec[ms]}"
        # ULID-like id: 48-bit ms timestamp (10 chars) + 80 random bits (16 chars)
        ts = epoch_ms + t * 1000 + ms
        rb = getrandbits(80)
        tid = (PAIRS[(ts >> 40) & 1023] + PAIRS[(ts >> 30) & 1023] + PAIRS[(ts >> 20) & 1023]
               + PAIRS[(ts >> 10) & 1023] + PAIRS[ts & 1023]
               + PAIRS[(rb >> 70) & 1023] + PAIRS[(rb >> 60) & 1023]
               + PAIRS[(rb >> 50) & 1023] + PAIRS[(rb >> 40) & 1023]
               + PAIRS[(rb >> 30) & 1023] + PAIRS[(rb >> 20) & 1023]
               + PAIRS[(rb >> 10) & 1023] + PAIRS[rb & 1023])

        ai = randrange(n_acc)
        acc_j, acc_c, _, _ = accounts[ai]
        channel = CHANNELS[randrange(len(CHANNELS))]
        r = rand()
        extra = None
        if channel == "card" or channel == "atm":
            mer_j, mer_c = merchants[randrange(n_mer)]
            cp_j, cp_c = "null", ","
            cents = -(int(rand() ** 3 * 40000) + 50)
            if r < 0.03:
                cents = -cents  # refund
            tdate = day_str(day - randrange(0, 3)) if r > 0.9 else booked_day
            if on_card is not None:
                extra = on_card(channel)
        else:
            mer_j, mer_c = "null", ",,"
            cp_j, cp_c = counterparties[randrange(n_cp)]
            if r < 0.25:
                cents = randrange(150000, 600000)  # incoming transfer / salary
            else:
                cents = -randrange(500, 250000)
            tdate = booked_day
        currency = CURRENCIES[randrange(len(CURRENCIES))]
        if currency == "EUR":
            fx_j, fx_c = "", ""
            intl = rand() < 0.06
        else:
            fx = f"{FX[currency] * (0.97 + rand() * 0.06):.6f}"
            fx_j, fx_c = f'"fx_rate":{fx},', fx
            intl = True
        amount = f"{cents / 100:.2f}"
        r2 = rand()
        status = "booked" if r2 < 0.9 else ("pending" if r2 < 0.98 else "reversed")
        if status == "pending":
            bal_j, bal_c = "null", ""
        else:
            balances[ai] += cents
            bal_j = bal_c = f"{balances[ai] / 100:.2f}"
        tag_index = randrange(n_tag)
        r3 = rand()
        if r3 < 0.40:
            memo_j, memo_c = "", ""  # field absent
        elif r3 < 0.48:
            memo_j, memo_c = '"memo":null,', ""
        else:
            memo_j, memo_c = memos[randrange(n_memo)]
        intl_s = "true" if intl else "false"
        yield (tid, acc_j, acc_c, cents, amount, currency, fx_j, fx_c, tdate, booked, mer_j,
               mer_c, tag_index, memo_j, memo_c, channel, status, intl_s, bal_j, bal_c, cp_j,
               cp_c, extra)


def generate(out_dir: str, seed: int, target_bytes: int | None, target_rows: int | None):
    rng = random.Random(seed)
    pools = build_pools(rng)
    tag_lists = pools[3]
    source = rows(rng, pools)

    os.makedirs(out_dir, exist_ok=True)
    nd_path = os.path.join(out_dir, "bank.ndjson")
    csv_path = os.path.join(out_dir, "bank.csv")
    meta_path = os.path.join(out_dir, "bank.meta.json")
    if os.path.exists(meta_path):
        os.unlink(meta_path)
    nd_tmp, csv_tmp = nd_path + ".tmp", csv_path + ".tmp"

    n_rows = 0
    nd_bytes = 0
    csv_bytes = 0
    done = False
    with open(nd_tmp, "wb", buffering=0) as fnd, open(csv_tmp, "wb", buffering=0) as fcsv:
        header = (",".join(CSV_COLUMNS) + "\n").encode()
        fcsv.write(header)
        csv_bytes += len(header)
        while not done:
            nd_batch = []
            csv_batch = []
            for _ in range(8192):
                if target_rows is not None:
                    if n_rows >= target_rows:
                        done = True
                        break
                elif nd_bytes >= target_bytes:
                    done = True
                    break
                (tid, acc_j, acc_c, _, amount, currency, fx_j, fx_c, tdate, booked, mer_j, mer_c,
                 ti, memo_j, memo_c, channel, status, intl_s, bal_j, bal_c, cp_j, cp_c,
                 _) = next(source)
                tag_j, tag_c = tag_lists[ti]
                line = (f'{{"transaction_id":"{tid}","account":{acc_j},"amount":{amount},'
                        f'"currency":"{currency}",{fx_j}"transaction_date":"{tdate}",'
                        f'"booked_at":"{booked}","merchant":{mer_j},"tags":{tag_j},{memo_j}'
                        f'"channel":"{channel}","status":"{status}","is_international":{intl_s},'
                        f'"balance_after":{bal_j},"counterparty":{cp_j}}}\n').encode()
                nd_batch.append(line)
                nd_bytes += len(line)
                csv_batch.append(
                    f"{tid},{acc_c},{amount},{currency},{fx_c},{tdate},{booked},{mer_c},{tag_c},"
                    f"{memo_c},{channel},{status},{intl_s},{bal_c},{cp_c}\n")
                n_rows += 1
            fnd.write(b"".join(nd_batch))
            cb = "".join(csv_batch).encode()
            fcsv.write(cb)
            csv_bytes += len(cb)
    os.replace(nd_tmp, nd_path)
    os.replace(csv_tmp, csv_path)
    return nd_path, csv_path, meta_path, n_rows, nd_bytes, csv_bytes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True, help="directory to write bank.ndjson/bank.csv into")
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--mb", type=float, help="target NDJSON size in MB (1e6 bytes); default 200")
    size.add_argument("--rows", type=int, help="number of rows instead of --mb")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.rows is None and a.mb is None:
        a.mb = 200.0
    if (a.mb is not None and a.mb <= 0) or (a.rows is not None and a.rows < 0):
        ap.error("--mb must be > 0 and --rows >= 0")
    target_bytes = int(a.mb * 1e6) if a.mb is not None else None

    t0 = time.perf_counter()
    nd, csv_p, meta_p, rows, nd_bytes, csv_bytes = generate(a.out_dir, a.seed, target_bytes, a.rows)
    dt = time.perf_counter() - t0
    meta = {"generator": "gen_bank.py", "generator_version": GENERATOR_VERSION, "seed": a.seed,
            "mb": a.mb, "rows_requested": a.rows, "rows": rows,
            "ndjson": os.path.basename(nd), "ndjson_bytes": nd_bytes,
            "csv": os.path.basename(csv_p), "csv_bytes": csv_bytes, "csv_columns": CSV_COLUMNS}
    with open(meta_p + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    os.replace(meta_p + ".tmp", meta_p)
    print(f"{nd}\t{nd_bytes} bytes ({nd_bytes / 1e6:.1f} MB)\t{rows} rows")
    print(f"{csv_p}\t{csv_bytes} bytes ({csv_bytes / 1e6:.1f} MB)\t{rows} rows + header")
    print(f"{meta_p}\tgenerated in {dt:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
