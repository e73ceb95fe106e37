#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn checmate-bench output into a table and a JSON file.

usage: report.py RAW JSON
"""
import json
import sys

raw, dest = sys.argv[1], sys.argv[2]
bench, info = {}, {}
for line in open(raw):
    parts = line.split()
    if parts[0] == "BENCH":
        bench.setdefault(parts[1], {})[parts[2]] = int(parts[3])
    elif parts[0] == "INFO":
        info[parts[1]] = int(parts[2])

base = bench["baseline"]
ops = list(base)
configs = ["baseline", "checmate-idle", "checmate-1", "checmate-8",
           "bpf-lsm-idle", "bpf-lsm-1", "bpf-lsm-8"]
table = {c: {op: {"insns": bench[c][op], "overhead": bench[c][op] - base[op]}
             for op in ops} for c in configs if c in bench}

# Programs are attached on every hook an operation crosses: file_open for
# open_close; socket_create and socket_connect for socket_connect_close;
# task_alloc for fork_wait.
hooks_crossed = {"open_close": 1, "socket_connect_close": 2, "fork_wait": 1}
summary = {}
for op in ops:
    row = {}
    for lsm in ("checmate", "bpf-lsm"):
        o1 = table[f"{lsm}-1"][op]["overhead"]
        o8 = table[f"{lsm}-8"][op]["overhead"]
        row[lsm] = {
            "idle": table[f"{lsm}-idle"][op]["overhead"],
            "one": o1,
            "eight": o8,
            "per_extra_program_per_hook": round((o8 - o1) / 7 / hooks_crossed[op], 1),
        }
    bpf1, bpf8 = row["bpf-lsm"]["one"], row["bpf-lsm"]["eight"]
    row["ratio_1"] = round(row["checmate"]["one"] / bpf1, 2) if bpf1 else None
    row["ratio_8"] = round(row["checmate"]["eight"] / bpf8, 2) if bpf8 else None
    summary[op] = row

print()
print("Instructions per operation (QEMU TCG, -icount shift=0: 1 ns = 1 instruction)")
print()
hdr = f"{'config':<15}" + "".join(f"{op:>24}" for op in ops)
print(hdr)
print("-" * len(hdr))
for c in table:
    cells = "".join(f"{table[c][op]['insns']:>14} ({table[c][op]['overhead']:+6})" for op in ops)
    print(f"{c:<15}{cells}")
print()
print("Overhead over baseline, Checmate / BPF LSM (lower is better):")
for op in ops:
    s = summary[op]
    print(f"  {op:<22} idle {s['checmate']['idle']:+5} / {s['bpf-lsm']['idle']:+5}   "
          f"1 prog {s['checmate']['one']:+5} / {s['bpf-lsm']['one']:+5} (x{s['ratio_1']})   "
          f"8 progs {s['checmate']['eight']:+6} / {s['bpf-lsm']['eight']:+6} (x{s['ratio_8']})   "
          f"per extra program {s['checmate']['per_extra_program_per_hook']} / "
          f"{s['bpf-lsm']['per_extra_program_per_hook']}")
print()
for k, v in sorted(info.items()):
    print(f"  {k}: {v}")
json.dump({"method": "QEMU TCG -icount shift=0,sleep=off, 1 vCPU; instructions per op",
           "table": table, "summary": summary, "info": info}, open(dest, "w"), indent=2)
print()
print(f"JSON: {dest}")
