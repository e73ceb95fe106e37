#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn checmate-bench output into tables, a JSON file, rst includes and plots.

usage: report.py RAW JSON [RST [CURVES_RST SVG_DIR]]

RST gets the table of operations, the goals of the cost work and the idle
comparison (checmate-bench.inc); CURVES_RST the curves, the memory and the
macro benchmark (checmate-bench-curves.inc), whose plots are written as SVG
into SVG_DIR. Every figure comes from RAW.
"""
import json
import sys

import curves

raw, dest = sys.argv[1], sys.argv[2]
bench, info, ophooks, cross, lsms, idle_wait = {}, {}, {}, {}, {}, {}
lines = open(raw).read().splitlines()
for line in lines:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "BENCH":
        bench.setdefault(parts[1], {})[parts[2]] = int(parts[3])
    elif parts[0] == "INFO":
        info[parts[1]] = int(parts[2])
    elif parts[0] == "OPHOOKS":
        ophooks[parts[1]] = parts[2:]
    elif parts[0] == "CROSS":
        cross.setdefault(parts[1], {})[parts[2]] = int(parts[3]) / int(parts[4])
    elif parts[0] == "IDLE":
        idle_wait.setdefault(parts[1], {})[parts[2]] = int(parts[3])
    elif parts[0] == "LSM":
        lsms[parts[1]] = parts[2] if len(parts) > 2 else ""

base = bench["baseline"]
# The operations of the table (programs attached on their hooks), and the
# probes: operations measured idle only, which cross the hooks Checmate
# keeps on by design.
ops = [op for op in base if op in ophooks]
probes = [op for op in base if op not in ophooks]
ALWAYS_ON = ("task_prctl", "bpf")   # checmate/hooks.rs: always_on
configs = ["baseline", "checmate-idle", "checmate-1", "checmate-8",
           "bpf-lsm-idle", "bpf-lsm-1", "bpf-lsm-8",
           "checmate-egress", "bpf-lsm-egress"]
table = {c: {op: {"insns": bench[c][op], "overhead": bench[c][op] - base[op]}
             for op in base if op in bench[c]} for c in configs if c in bench}

# fork costs move by thousands of instructions between runs with nothing
# attached (the kernel's own state: compare baseline with the idle runs),
# more than any hook here costs: their rows are shown, not compared.
boot_noisy = {"fork_wait", "fork_exec_wait"}


def runs_per_op(op):
    """Program runs per operation for one program on each of its hooks: the
    Checmate runs counters (CROSS lines) over the hooks it attaches to, or
    the number of those hooks without them."""
    c = cross.get(op)
    if not c:
        return len(ophooks[op])
    return sum(c.get(h, 0) for h in ophooks[op])


def fmt_runs(x):
    return f"{x:g}"


summary = {}
for op in ops:
    row = {"hooks": ophooks[op], "program_runs_per_op": runs_per_op(op)}
    if op in cross:
        row["crossed"] = cross[op]
        row["crossed_without_programs"] = sorted(set(cross[op]) - set(ophooks[op]))
        row["attached_not_crossed"] = sorted(set(ophooks[op]) - set(cross[op]))
    for lsm in ("checmate", "bpf-lsm"):
        idle = table[f"{lsm}-idle"][op]["overhead"]
        o1 = table[f"{lsm}-1"][op]["overhead"]
        o8 = table[f"{lsm}-8"][op]["overhead"]
        row[lsm] = {
            "idle": idle,
            "one": o1,
            "eight": o8,
            "first_program_over_idle": o1 - idle,
            "per_extra_program_per_run": round((o8 - o1) / 7 / row["program_runs_per_op"], 1),
        }
    bpf1, bpf8 = row["bpf-lsm"]["one"], row["bpf-lsm"]["eight"]
    row["ratio_1"] = round(row["checmate"]["one"] / bpf1, 2) if bpf1 else None
    row["ratio_8"] = round(row["checmate"]["eight"] / bpf8, 2) if bpf8 else None
    # An idle row further from baseline than half of what one program
    # costs leaves nothing to compare in this run.
    idle_off = abs(row["checmate"]["idle"]) > abs(row["checmate"]["one"]) / 2
    if op in boot_noisy or idle_off:
        quiet = [bench[c][op] for c in ("baseline", "checmate-idle", "bpf-lsm-idle")]
        row = {"hooks": row["hooks"], "noise": max(quiet) - min(quiet),
               "always_noisy": op in boot_noisy,
               "idle_wait_ns": {c: idle_wait[c][op] for c in idle_wait if op in idle_wait[c]}}
    summary[op] = row

# Configuration 8: one realistic policy on socket_connect (the egress
# allowlist sample, 1,000 entries) against its BPF LSM twin.
egress = None
if "checmate-egress" in table and "bpf-lsm-egress" in table:
    op = "socket_connect_close"
    c, b = table["checmate-egress"][op]["overhead"], table["bpf-lsm-egress"][op]["overhead"]
    egress = {"op": op, "checmate": c, "bpf-lsm": b, "ratio": round(c / b, 2) if b else None}
    summary["egress_policy"] = egress

# Idle stays +0: the kernel's default LSM list with and without checmate
# (no program loaded), and lsm=capability against lsm=capability,checmate
# (the baseline and checmate-idle rows, same programs loaded).
idle = None
if "idle-checmate" in bench and "idle-nochecmate" in bench:
    w, wo = bench["idle-checmate"], bench["idle-nochecmate"]
    again = bench.get("idle-nochecmate-again", {})
    idle = {"lsm_with": lsms.get("idle-checmate"), "lsm_without": lsms.get("idle-nochecmate"),
            "ops": {}}
    for op in ops + probes:
        if op in w and op in wo:
            idle["ops"][op] = {
                "without": wo[op], "with": w[op], "diff": w[op] - wo[op],
                "boot_to_boot": again[op] - wo[op] if op in again else None,
                "capability_diff": (bench["checmate-idle"][op] - base[op]
                                    if op in bench.get("checmate-idle", {}) else None),
                "always_on": [h for h in ALWAYS_ON if h in cross.get(op, {})],
            }
    resolved = [op for op in ops if op in idle["ops"] and op not in boot_noisy]
    disturbed = [op for op in resolved if "noise" in summary[op]]

    def most(key):
        """The resolved operation whose idle figure @key is largest either way."""
        have = [op for op in resolved if idle["ops"][op][key] is not None
                and not (key == "capability_diff" and op in disturbed)]
        if not have:
            return None
        op = max(have, key=lambda o: abs(idle["ops"][o][key]))
        return {"op": op, "value": idle["ops"][op][key]}

    idle["resolved_max"] = {k: most(k) for k in ("diff", "boot_to_boot", "capability_diff")}
    idle["disturbed"] = disturbed
    idle["table_ops_crossing_always_on"] = [op for op in ops
                                            if any(h in cross.get(op, {}) for h in ALWAYS_ON)]

# The goals of the cost work (issue 17), each against the figures above.
goals = None
if "open_close" in summary and "checmate" in summary["open_close"]:
    oc = summary["open_close"]
    first_ok = [op for op in ops if "checmate" in summary[op]]
    goals = {
        "file_open_one_program": oc["checmate"]["one"], "file_open_one_program_goal": 90,
        "per_extra_program": oc["checmate"]["per_extra_program_per_run"],
        "per_extra_program_goal": 25,
        "first_program_below_bpf_lsm": {
            op: summary[op]["checmate"]["first_program_over_idle"]
            < summary[op]["bpf-lsm"]["first_program_over_idle"] for op in first_ok},
    }
    summary["goals"] = goals


def cell(c, op):
    t = table.get(c, {}).get(op)
    return f"{t['insns']} ({t['overhead']:+d})" if t else "-"


print()
print("Instructions per operation (QEMU TCG, -icount shift=0: 1 ns = 1 instruction)")
print()
cols = [c for c in configs if c in table and not c.endswith("-egress")]
hdr = f"{'operation':<22}" + "".join(f"{c:>20}" for c in cols)
print(hdr)
print("-" * len(hdr))
for op in ops + probes:
    print(f"{op:<22}" + "".join(f"{cell(c, op):>20}" for c in cols))
print()
print("Overhead over baseline, Checmate / BPF LSM (lower is better):")
for op in ops:
    s = summary[op]
    if "noise" in s:
        print(f"  {op:<22} not resolved: {s['noise']} instructions apart with nothing attached")
        continue
    print(f"  {op:<22} idle {s['checmate']['idle']:+5} / {s['bpf-lsm']['idle']:+5}   "
          f"1 prog {s['checmate']['one']:+5} / {s['bpf-lsm']['one']:+5} (x{s['ratio_1']})   "
          f"first over idle {s['checmate']['first_program_over_idle']:+5} / "
          f"{s['bpf-lsm']['first_program_over_idle']:+5}   "
          f"8 progs {s['checmate']['eight']:+6} / {s['bpf-lsm']['eight']:+6} (x{s['ratio_8']})   "
          f"per extra program per run {s['checmate']['per_extra_program_per_run']} / "
          f"{s['bpf-lsm']['per_extra_program_per_run']} ({fmt_runs(s['program_runs_per_op'])} runs)")
    if s.get("crossed_without_programs") or s.get("attached_not_crossed"):
        print(f"  {'':<22} WARNING: crosses {s.get('crossed_without_programs')} without "
              f"programs; attached to {s.get('attached_not_crossed')} but never crosses them")
if egress:
    print(f"  egress policy, 1,000 entries ({egress['op']}): {egress['checmate']:+d} / "
          f"{egress['bpf-lsm']:+d} (x{egress['ratio']})")
if idle:
    print()
    print(f"Idle, Checmate with nothing attached: {idle['lsm_with']} minus "
          f"{idle['lsm_without']}; lsm=capability,checmate minus lsm=capability")
    for op, d in idle["ops"].items():
        cap = f"{d['capability_diff']:+d}" if d["capability_diff"] is not None else "-"
        print(f"  {op:<22} {d['diff']:+7} {cap:>7}"
              + (f"   crosses {', '.join(d['always_on'])} (always on)" if d["always_on"] else ""))
print()
for k, v in sorted(info.items()):
    print(f"  {k}: {v}")


def rst_table(f, title, header, rows, widths=None):
    f.write(f".. list-table:: {title}\n   :header-rows: 1\n")
    if widths:
        f.write(f"   :widths: {' '.join(map(str, widths))}\n")
    f.write("\n")
    for r in [header] + rows:
        # An empty cell is a bare "-": no trailing whitespace.
        f.write(f"   * - {r[0]}\n" + "".join(f"     - {x}\n" if x else "     -\n"
                                            for x in r[1:]))
    f.write("\n")


def hooks_cell(op):
    """The hooks of an operation, with the runs per operation where not 1."""
    c = cross.get(op, {})
    return ", ".join(f"``{h}``" + (f" ×{fmt_runs(c[h])}" if c.get(h, 1) != 1 else "")
                     for h in ophooks[op])


def write_main(f):
    f.write(".. Generated by tools/bench/run.sh (make bench); do not edit.\n\n")
    names = {"baseline": "baseline", "checmate-idle": "Checmate idle",
             "checmate-1": "Checmate 1", "checmate-8": "Checmate 8",
             "bpf-lsm-idle": "BPF LSM idle", "bpf-lsm-1": "BPF LSM 1",
             "bpf-lsm-8": "BPF LSM 8"}
    cols = [c for c in names if c in table]
    rst_table(f, "Instructions per operation (overhead over baseline), with 0, 1 and 8 "
                 "allow-all programs on each hook the operation crosses",
              ["operation", "hooks with programs (runs per operation)"] + [names[c] for c in cols],
              [[f"``{op}``", hooks_cell(op)] + [cell(c, op) for c in cols] for op in ops])
    rows = []
    for op in ops:
        s = summary[op]
        if "noise" in s:
            rows.append([f"``{op}``", "-", "-", "-", "-", "-",
                         f"not resolved: {s['noise']:,} apart with nothing attached"])
            continue
        rows.append([f"``{op}``",
                     f"{s['checmate']['one']:+d} / {s['bpf-lsm']['one']:+d} (x{s['ratio_1']})",
                     f"{s['checmate']['first_program_over_idle']:+d} / "
                     f"{s['bpf-lsm']['first_program_over_idle']:+d}",
                     f"{s['checmate']['eight']:+d} / {s['bpf-lsm']['eight']:+d} (x{s['ratio_8']})",
                     fmt_runs(s["program_runs_per_op"]),
                     f"{s['checmate']['per_extra_program_per_run']} / "
                     f"{s['bpf-lsm']['per_extra_program_per_run']}", ""])
    rst_table(f, "Checmate / BPF LSM, instructions per operation",
              ["operation", "one program per hook, over baseline",
               "first program, over the idle row of its boot",
               "eight programs per hook, over baseline", "program runs per operation",
               "each further program, per run", "note"], rows)
    for op in ops:
        s = summary[op]
        if "noise" in s and s["always_noisy"]:
            f.write(f"- ``{op}`` costs about {base[op]:,} instructions, and the runs with "
                    f"nothing attached (baseline, both idle rows) are already "
                    f"{s['noise']:,} apart, more than the programs cost: the row is shown, "
                    f"not compared.\n")
        elif "noise" in s:
            f.write(f"- ``{op}``: in this run the idle rows are {s['noise']:,} apart from "
                    f"baseline, more than half of what one program costs: the row is "
                    f"shown, not compared.\n")
        if "noise" in s and s["idle_wait_ns"]:
            f.write(f"  The CPU waited idle during some of its measurements (guest ns per "
                    f"operation, counted in ticks: "
                    + ", ".join(f"{c} {v:,}" for c, v in s["idle_wait_ns"].items()) + ").\n")
        extra = summary[op].get("crossed_without_programs")
        if extra:
            f.write(f"- ``{op}`` also crosses {', '.join(f'``{h}``' for h in extra)}, "
                    f"where no program is attached.\n")
        unused = summary[op].get("attached_not_crossed")
        if unused:
            f.write(f"- ``{op}`` never crosses {', '.join(f'``{h}``' for h in unused)}, "
                    f"where its programs are attached.\n")
    if cross:
        f.write("- The hooks of each operation are checked against what it crosses: "
                "with an allow-all program on every Checmate hook, each operation runs "
                "10 times between two readings of the hooks' ``runs`` counters "
                "(``/sys/kernel/security/checmate/hooks``). An operation listed with "
                "×k runs the hook's programs k times.\n")
    if egress:
        f.write(f"- The egress allowlist sample with 1,000 entries costs "
                f"{egress['checmate']:+d} per {egress['op']} with Checmate and "
                f"{egress['bpf-lsm']:+d} as its BPF LSM twin (x{egress['ratio']}); the "
                f"programs are {info.get('egress_policy_insns')} and "
                f"{info.get('egress_lsm_insns')} instructions, "
                f"{info.get('egress_policy_jited_bytes')} and "
                f"{info.get('egress_lsm_jited_bytes')} bytes JITed.\n")
    f.write(f"- The allow-all program is {info.get('checmate_prog_insns')} instructions, "
            f"{info.get('checmate_prog_jited_bytes')} bytes once JITed; an attach + detach "
            f"pair costs {info.get('attach_detach_pair_ns')} instructions (no grace period "
            f"is waited for).\n\n")
    if goals:
        pp = curves_data.get("programs_per_hook", {}).get("checmate", {})
        below = goals["first_program_below_bpf_lsm"]
        above = [op for op, ok in below.items() if not ok]
        f.write("Against the goals of the cost work:\n\n")
        f.write(f"- one allow-all program on ``file_open``: "
                f"{goals['file_open_one_program']:+d} over baseline on open+close "
                f"(goal at most +{goals['file_open_one_program_goal']}: "
                f"{'met' if goals['file_open_one_program'] <= goals['file_open_one_program_goal'] else 'missed'}).\n")
        per = [f"{goals['per_extra_program']} with 1 to 8 programs"]
        if "per_program_1_to_max" in pp:
            per.append(f"{pp['per_program_1_to_max']} with 1 to "
                       f"{max(int(n) for n in pp['insns'])} (the curve below)")
        worst = max(goals["per_extra_program"], pp.get("per_program_1_to_max", 0))
        f.write(f"- each further program on ``file_open``: {' and '.join(per)} "
                f"(goal at most {goals['per_extra_program_goal']}: "
                f"{'met' if worst <= goals['per_extra_program_goal'] else 'missed'}).\n")
        f.write(f"- the first program over the idle row of its boot below BPF LSM's on "
                f"every operation: "
                + ("met" if not above else
                   "missed on " + ", ".join(
                       f"``{op}`` ({summary[op]['checmate']['first_program_over_idle']:+d} "
                       f"against {summary[op]['bpf-lsm']['first_program_over_idle']:+d})"
                       for op in above))
                + (f" (not compared in this run: "
                   f"{', '.join(f'``{op}``' for op in ops if 'noise' in summary[op])})"
                   if any('noise' in summary[op] for op in ops) else "")
                + ".\n")
        if idle and idle["resolved_max"]["diff"]:
            m = idle["resolved_max"]
            f.write(f"- idle +0: with nothing attached, the operations of the table "
                    f"differ by at most {abs(m['diff']['value'])} instructions between "
                    f"boots with and without Checmate (``{m['diff']['op']}``)"
                    + (f", and by up to {abs(m['boot_to_boot']['value'])} between two "
                       f"boots of the same configuration (``{m['boot_to_boot']['op']}``)"
                       if m["boot_to_boot"] else "")
                    + " (Idle, below).\n")
        f.write("\n")
    if idle:
        write_idle(f)


def write_idle(f):
    f.write("Idle\n~~~~\n\n")
    f.write(f"The same kernel, booted with its default LSM list "
            f"(``{idle['lsm_with']}``, what ``/sys/kernel/security/lsm`` shows) and "
            f"with the same list without Checmate (``lsm={idle['lsm_without']}``), no "
            f"program loaded in either; beside it, the difference between the "
            f"``checmate-idle`` and ``baseline`` rows above (``lsm=capability,checmate`` "
            f"against ``lsm=capability``, the same programs loaded).\n\n")
    again = any(d["boot_to_boot"] is not None for d in idle["ops"].values())
    rows = []
    for op, d in idle["ops"].items():
        note = ""
        if d["always_on"]:
            note = f"crosses {', '.join(f'``{h}``' for h in d['always_on'])}, on by design"
        elif op in boot_noisy:
            note = "moves by thousands between boots"
        rows.append([f"``{op}``", str(d["without"]), str(d["with"]), f"{d['diff']:+d}"]
                    + ([f"{d['boot_to_boot']:+d}" if d["boot_to_boot"] is not None else "-"]
                       if again else [])
                    + [f"{d['capability_diff']:+d}" if d["capability_diff"] is not None else "-",
                       note])
    rst_table(f, "Instructions per operation with nothing attached, without and with Checmate",
              ["operation", "without Checmate", "with Checmate", "difference"]
              + (["without Checmate, second boot: difference"] if again else [])
              + ["difference, lsm=capability[,checmate]", "note"], rows)
    on = idle["table_ops_crossing_always_on"]
    f.write("- Checmate keeps two hooks on with nothing attached: ``task_prctl`` (its "
            "own prctl API) and ``bpf`` (whose pre function guards locked hooks). The "
            "``prctl_get_dumpable`` and ``bpf_map_lookup`` probes cross them; "
            + (f"of the operations of the table, {', '.join(f'``{o}``' for o in on)} "
               f"cross them too.\n" if on else
               "no operation of the table does (the hooks' runs counters above).\n"))
    m = idle["resolved_max"]
    if m["diff"]:
        f.write(f"- Every other hook is switched off while nothing is attached to it. "
                f"The other operations differ by at most {abs(m['diff']['value'])} "
                f"instructions with and without Checmate (``{m['diff']['op']}``), of either "
                f"sign")
        if m["boot_to_boot"]:
            f.write(f"; two boots of the same configuration differ by up to "
                    f"{abs(m['boot_to_boot']['value'])} (``{m['boot_to_boot']['op']}``)")
        if m["capability_diff"]:
            f.write(f"; with ``lsm=capability`` as the only other LSM, by at most "
                    f"{abs(m['capability_diff']['value'])} (``{m['capability_diff']['op']}``)")
        if idle["disturbed"]:
            f.write(f" (leaving out {', '.join(f'``{o}``' for o in idle['disturbed'])}, "
                    f"whose idle row in that boot was disturbed: see above)")
        f.write(". Beside the two hooks, Checmate keeps a 4-byte part of the LSM task "
                "blob (``admin.rs``): with ``lsm=capability,checmate`` it makes fork "
                "allocate a blob that ``lsm=capability`` does not; in the default list "
                "other LSMs have one already.\n")
    f.write("\n")


curves_data = curves.parse(lines, base)
curves.print_text(curves_data)
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as f:
        write_main(f)
if len(sys.argv) > 5:
    curves.write_rst(curves_data, sys.argv[4], sys.argv[5])
# No blank line at the end of a generated include (git apply and
# checkpatch flag one in the patch series).
for path in sys.argv[3:5]:
    text = open(path).read()
    open(path, "w").write(text.rstrip("\n") + "\n")
json.dump({"method": "QEMU TCG -icount shift=0,sleep=off, 1 vCPU; instructions per op",
           "table": table, "summary": summary, "idle": idle, "idle_wait_ns": idle_wait,
           "info": info, **curves_data},
          open(dest, "w"), indent=2)
print()
print(f"JSON: {dest}")
