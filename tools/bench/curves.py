# SPDX-License-Identifier: GPL-2.0
"""How cost grows, memory and the macro benchmark: the CURVE, LAT, EGRESS,
MEM and MACRO lines of checmate-bench (see its header), as JSON-ready data,
text tables, an rst include and SVG plots. Used by report.py."""
import os

LSMS = (("checmate", "Checmate"), ("bpf-lsm", "BPF LSM"))
# Attach/detach latency rows shown in the tables (the plot has every k).
LAT_ROWS = (0, 1, 2, 4, 8, 16, 32, 37, 63)
MACRO_CONFIGS = (
    ("baseline", "no LSM programs (lsm=capability)"),
    ("checmate-idle", "Checmate, nothing attached"),
    ("checmate-only-egress", "Checmate, egress_allowlist alone"),
    ("checmate-only-ingress", "Checmate, ingress_filter alone"),
    ("checmate-samples", "Checmate, every sample policy"),
    ("bpf-lsm-idle", "BPF LSM, nothing attached"),
    ("bpf-lsm-only-egress", "BPF LSM, egress twin alone"),
    ("bpf-lsm-only-ingress", "BPF LSM, ingress twin alone"),
    ("bpf-lsm-twins", "BPF LSM, every twin"),
)
MACRO_PHASES = (("unpack", "unpack 2,000 files (busybox tar)"),
                ("readback", "read them back"),
                ("tcp", "2,000 loopback TCP exchanges"))
# Files unpacked, and TCP exchanges, per run (checmate-bench.c).
MACRO_N = 2000
# The two workloads, from their phases.
WORKS = (("files", ("unpack", "readback")), ("network", ("tcp",)))
# Reference of each macro configuration: its own boot with nothing attached.
SAME_BOOT_IDLE = {c: ("checmate" if c.startswith("checmate") else "bpf-lsm") + "-idle"
                  for c, _ in MACRO_CONFIGS if c != "baseline" and not c.endswith("-idle")}


def parse(lines, base):
    """The extra sections of the results, from the raw lines."""
    curve, lat, egress, mem, macro, info = {}, {}, {}, {}, {}, {}
    for line in lines:
        p = line.split()
        if not p:
            continue
        if p[0] == "CURVE":
            curve.setdefault(p[1], {})[int(p[2])] = int(p[3])
        elif p[0] == "LAT":
            lat.setdefault(p[1], {}).setdefault(p[2], {})[int(p[3])] = int(p[4])
        elif p[0] == "EGRESS":
            egress.setdefault(p[1], {})[int(p[2])] = int(p[3])
        elif p[0] == "MEM":
            step = mem.setdefault(p[1], {}).setdefault(p[2], {"attaches": int(p[3])})
            step[p[4]] = int(p[5])
        elif p[0] == "MACRO":
            macro.setdefault(p[1], {}).setdefault(p[2], []).append(int(p[4]))
        elif p[0] == "INFO":
            info[p[1]] = int(p[2])
    out = {}
    if curve:
        out["programs_per_hook"] = programs_per_hook(curve, base, info)
    if lat:
        out["attach_detach"] = {
            lsm: {op: {str(k): v for k, v in sorted(d.items())} for op, d in ops.items()}
            for lsm, ops in lat.items()}
        for lsm in lat:
            tot, idle = info.get(f"{lsm}_lat_total_ns"), info.get(f"{lsm}_lat_idle_ns")
            if tot:
                out["attach_detach"][lsm]["guest_ns_total"] = tot
                out["attach_detach"][lsm]["idle_ns_total"] = idle
                out["attach_detach"][lsm]["idle_pct"] = round(100 * idle / tot, 1)
    if egress:
        out["egress_entries"] = egress_entries(egress, base, info)
    if mem:
        out["memory"] = memory(mem, info)
    if macro:
        out["macro"] = macro_summary(macro)
    return out


def programs_per_hook(curve, base, info):
    res = {"op": "open_close", "hook": "file_open", "baseline": base["open_close"]}
    for lsm, _ in LSMS:
        pts = curve.get(lsm)
        if not pts:
            continue
        top = max(pts)
        res[lsm] = {
            "insns": {str(n): v for n, v in sorted(pts.items())},
            "overhead": {str(n): v - base["open_close"] for n, v in sorted(pts.items())},
            "max_programs": info.get(f"{lsm}_file_open_max_progs", top),
            "attach_errno_when_full": info.get(f"{lsm}_file_open_full_errno"),
            "per_program_1_to_max": round((pts[top] - pts[1]) / (top - 1), 1)
            if top > 1 and 1 in pts else None,
        }
    return res


def egress_entries(egress, base, info):
    res = {"op": "socket_connect_close", "baseline": base["socket_connect_close"],
           "map": {c: EGRESS_MAPS[c] for c, _ in EGRESS_CONFIGS if c in egress}}
    for cfg, pts in egress.items():
        res[cfg] = {
            "insns": {str(n): v for n, v in sorted(pts.items())},
            "overhead": {str(n): v - base["socket_connect_close"] for n, v in sorted(pts.items())},
            "map_bytes": {str(n): info.get(f"{cfg}_{n}_map_bytes") for n in sorted(pts)},
        }
    return res


# The egress curves: the sample's hash map, and the LPM-trie variant.
EGRESS_CONFIGS = (("checmate-egress", "Checmate, egress_allowlist sample (hash)"),
                  ("bpf-lsm-egress", "BPF LSM twin (hash)"),
                  ("checmate-egress-lpm", "Checmate, egress_lpm (LPM trie)"),
                  ("bpf-lsm-egress-lpm", "BPF LSM twin (LPM trie)"))
EGRESS_MAPS = {
    "checmate-egress": "BPF_MAP_TYPE_HASH, max_entries max(4096, entries), (address, port) keys",
    "bpf-lsm-egress": "BPF_MAP_TYPE_HASH, max_entries max(4096, entries), (address, port) keys",
    "checmate-egress-lpm": "BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC, adjacent /30 networks",
    "bpf-lsm-egress-lpm": "BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC, adjacent /30 networks",
}

FIELDS = ("Slab", "Percpu", "VmallocUsed", "MemFree")


def memory(mem, info):
    """Bytes per hook engaged and per further program, from meminfo deltas."""
    res = {"method": "/proc/meminfo (kB) before and after attaching, after a settle "
                     "of 3 s; programs loaded before the first reading",
           "resolution": "Slab and VmallocUsed move by whole pages (4 KiB), Percpu by "
                         "its chunk's pages: each delta is good to about 4 KiB per "
                         "slab cache touched, divided by the attaches"}
    for lsm, steps in mem.items():
        if not all(s in steps for s in ("before", "first", "more", "detached")):
            continue
        hooks = steps["first"]["attaches"]
        extra = steps["more"]["attaches"]
        r = {"hooks": hooks, "programs_per_hook": info.get(f"{lsm}_mem_progs_per_hook"),
             "readings_kB": steps}
        for f in FIELDS:
            if f not in steps["before"]:
                continue
            sign = -1 if f == "MemFree" else 1
            d_first = sign * (steps["first"][f] - steps["before"][f])
            d_more = sign * (steps["more"][f] - steps["first"][f])
            d_left = sign * (steps["detached"][f] - steps["before"][f])
            r[f] = {"first_program_per_hook_bytes": round(d_first * 1024 / hooks) if hooks else None,
                    "further_program_bytes": round(d_more * 1024 / extra) if extra else None,
                    "first_kB": d_first, "further_kB": d_more, "left_after_detach_kB": d_left}
        res[lsm] = r
    return res


def macro_summary(macro):
    res = {"reps": None, "configs": {}}
    mean = {c: {ph: sum(v) / len(v) for ph, v in d.items()} for c, d in macro.items()}
    for c, d in macro.items():
        res["reps"] = len(next(iter(d.values())))
        row = {}
        for ph, v in d.items():
            m = mean[c][ph]
            row[ph] = {"insns": v, "mean": round(m),
                       "spread_pct": round(100 * (max(v) - min(v)) / m, 3)}
        for work, phases in WORKS:
            tot = sum(mean[c][ph] for ph in phases if ph in mean[c])
            row[work] = {"mean": round(tot)}
            if "baseline" in mean:
                b = sum(mean["baseline"][ph] for ph in phases)
                row[work]["overhead_pct"] = round(100 * (tot - b) / b, 2)
            idle = SAME_BOOT_IDLE.get(c)
            if idle in mean:
                b = sum(mean[idle][ph] for ph in phases)
                row[work]["overhead_same_boot_pct"] = round(100 * (tot - b) / b, 2)
        res["configs"][c] = row
    return res


def print_text(r):
    if "programs_per_hook" in r:
        c = r["programs_per_hook"]
        print(f"\nPrograms on file_open: open+close, instructions (baseline {c['baseline']})")
        ns = sorted({int(n) for lsm, _ in LSMS if lsm in c for n in c[lsm]["insns"]})
        for n in ns:
            cells = "".join(f"{c[l]['insns'][str(n)]:>10} ({c[l]['overhead'][str(n)]:+5})"
                            if l in c and str(n) in c[l]["insns"] else f"{'-':>18}"
                            for l, _ in LSMS)
            print(f"  {n:>3} {cells}")
        for lsm, name in LSMS:
            if lsm in c:
                print(f"  {name}: at most {c[lsm]['max_programs']} programs; "
                      f"{c[lsm]['per_program_1_to_max']} per further program")
    if "attach_detach" in r:
        a = r["attach_detach"]
        print("\nAttach / detach of one program with k already on file_open (guest ns)")
        for k in LAT_ROWS:
            cells = "".join(f"{a[l]['attach'].get(str(k), '-'):>10}{a[l]['detach'].get(str(k), '-'):>10}"
                            for l, _ in LSMS if l in a)
            print(f"  k={k:<3}{cells}")
        for lsm, name in LSMS:
            if "idle_pct" in a.get(lsm, {}):
                print(f"  {name}: the CPU was idle {a[lsm]['idle_pct']} % of that time")
    if "egress_entries" in r:
        e = r["egress_entries"]
        print(f"\nEgress allowlist, socket+connect+close (baseline {e['baseline']})")
        for cfg, _ in EGRESS_CONFIGS:
            if cfg in e:
                print(f"  {cfg}: " + ", ".join(f"{n}: {v} ({e[cfg]['overhead'][n]:+d})"
                                               for n, v in e[cfg]["insns"].items()))
    if "memory" in r:
        print("\nMemory of attached programs (bytes, from /proc/meminfo deltas)")
        for lsm, name in LSMS:
            m = r["memory"].get(lsm)
            if not m:
                continue
            for f in ("Slab", "Percpu", "VmallocUsed"):
                if f in m:
                    print(f"  {name} {f}: first program on a hook {m[f]['first_program_per_hook_bytes']}, "
                          f"each further {m[f]['further_program_bytes']} "
                          f"({m['hooks']} hooks; left after detach {m[f]['left_after_detach_kB']} kB)")
    if "macro" in r:
        print("\nMacro benchmark (guest instructions, mean of "
              f"{r['macro']['reps']}; overhead vs lsm=capability / vs same boot idle)")
        for c, name in MACRO_CONFIGS:
            row = r["macro"]["configs"].get(c)
            if not row:
                continue
            print(f"  {name:<36} files {row['files']['mean']:>11} "
                  f"({row['files'].get('overhead_pct', 0):+.2f}% / "
                  f"{row['files'].get('overhead_same_boot_pct', 0):+.2f}%)  "
                  f"tcp {row['network']['mean']:>11} ({row['network'].get('overhead_pct', 0):+.2f}% / "
                  f"{row['network'].get('overhead_same_boot_pct', 0):+.2f}%)")


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    # The same input gives the same SVG, byte for byte.
    plt.rcParams["svg.hashsalt"] = "checmate-bench"
    plt.rcParams["svg.fonttype"] = "none"
    return plt


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    # matplotlib ends path data lines with a space; the kernel's
    # checkpatch refuses trailing whitespace, and SVG does not need it.
    with open(path) as f:
        lines = [line.rstrip() for line in f]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot_progs(c, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for lsm, name in LSMS:
        if lsm in c:
            ns = [int(n) for n in c[lsm]["insns"]]
            ax.plot(ns, list(c[lsm]["insns"].values()), marker="o", label=name)
    ax.axhline(c["baseline"], color="grey", linestyle="--", label="lsm=capability")
    ax.set_xticks([0, 8, 16, 32, 38, 64])
    ax.set_xlabel("allow-all programs on file_open")
    ax.set_ylabel("instructions per open+close")
    ax.set_title("Programs per hook (QEMU icount)")
    ax.legend()
    ax.grid(alpha=0.3)
    _save(plt, fig, path)


def plot_lat(a, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for lsm, name in LSMS:
        if lsm not in a:
            continue
        for op, style in (("attach", "-"), ("detach", "--")):
            d = a[lsm][op]
            ax.plot([int(k) for k in d], list(d.values()), style, label=f"{name} {op}")
    ax.set_yscale("log")
    ax.set_xlabel("programs already on file_open")
    ax.set_ylabel("guest ns per call (icount)")
    ax.set_title("Attach and detach latency (QEMU icount)")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    _save(plt, fig, path)


def plot_egress(e, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for cfg, name in EGRESS_CONFIGS:
        if cfg in e:
            ax.plot([int(n) for n in e[cfg]["insns"]], list(e[cfg]["insns"].values()),
                    marker="o", linestyle="--" if cfg.endswith("-lpm") else "-", label=name)
    ax.axhline(e["baseline"], color="grey", linestyle="--", label="lsm=capability")
    ax.set_xscale("log")
    ax.set_xlabel("allowlist entries")
    ax.set_ylabel("instructions per socket+connect+close")
    ax.set_title("Egress allowlist size (QEMU icount)")
    ax.legend()
    ax.grid(alpha=0.3)
    _save(plt, fig, path)


def _table(f, title, header, rows):
    f.write(f".. list-table:: {title}\n   :header-rows: 1\n\n")
    for r in [header] + rows:
        f.write(f"   * - {r[0]}\n" + "".join(f"     - {x}\n" for x in r[1:]))
    f.write("\n")


def write_rst(r, dest, svg_dir):
    stem = os.path.basename(dest).rsplit(".", 1)[0].replace("-curves", "")
    with open(dest, "w") as f:
        f.write(".. Generated by tools/bench/run.sh (make bench); do not edit.\n\n")
        if "programs_per_hook" in r:
            c = r["programs_per_hook"]
            ns = sorted({int(n) for lsm, _ in LSMS if lsm in c for n in c[lsm]["insns"]})
            rows = [[str(n)] + [f"{c[l]['insns'][str(n)]} ({c[l]['overhead'][str(n)]:+d})"
                                if l in c and str(n) in c[l]["insns"] else
                                f"cannot attach (at most {c[l]['max_programs']})"
                                for l, _ in LSMS] for n in ns]
            _table(f, f"open+close with N allow-all programs on file_open, instructions "
                      f"(overhead over lsm=capability, {c['baseline']})",
                   ["programs", "Checmate", "BPF LSM"], rows)
            for lsm, name in LSMS:
                if lsm in c:
                    f.write(f"- {name}: each program after the first costs "
                            f"{c[lsm]['per_program_1_to_max']} instructions "
                            f"(1 to {max(int(n) for n in c[lsm]['insns'])} programs); "
                            f"a hook holds at most {c[lsm]['max_programs']}"
                            + (f" (the next attach fails with errno {c[lsm]['attach_errno_when_full']})"
                               if c[lsm]["attach_errno_when_full"] else "") + ".\n")
            f.write("\n")
            plot_progs(c, os.path.join(svg_dir, f"{stem}-progs.svg"))
            f.write(f".. image:: {stem}-progs.svg\n   :alt: instructions per open+close "
                    f"against programs on file_open, Checmate and BPF LSM\n\n")
        if "attach_detach" in r:
            a = r["attach_detach"]
            rows = [[str(k)] + [str(a[l][op].get(str(k), "-")) for l, _ in LSMS if l in a
                                for op in ("attach", "detach")]
                    for k in LAT_ROWS]
            _table(f, "Guest nanoseconds per attach and per detach of one program with k "
                      "programs already on file_open (smallest of 3)",
                   ["k"] + [f"{name} {op}" for l, name in LSMS if l in a
                            for op in ("attach", "detach")], rows)
            f.write("- Under icount a guest nanosecond is one instruction while the CPU "
                    "runs; time it spends idle, waiting for a grace period or a worker, "
                    "passes as on a real clock.")
            for lsm, name in LSMS:
                if "idle_pct" in a.get(lsm, {}):
                    f.write(f" {name}: idle for {a[lsm]['idle_pct']} % of its attach and "
                            f"detach time ({a[lsm]['idle_ns_total'] / 1e6:.0f} of "
                            f"{a[lsm]['guest_ns_total'] / 1e6:.0f} ms, /proc/stat).")
            f.write("\n\n")
            plot_lat(a, os.path.join(svg_dir, f"{stem}-attach.svg"))
            f.write(f".. image:: {stem}-attach.svg\n   :alt: attach and detach latency "
                    f"against programs already attached\n\n")
        if "egress_entries" in r:
            e = r["egress_entries"]
            cfgs = [c for c, _ in EGRESS_CONFIGS if c in e]
            heads = {"checmate-egress": "Checmate, hash (sample)",
                     "bpf-lsm-egress": "BPF LSM, hash (twin)",
                     "checmate-egress-lpm": "Checmate, LPM trie",
                     "bpf-lsm-egress-lpm": "BPF LSM, LPM trie"}
            ns = sorted({int(n) for c in cfgs for n in e[c]["insns"]})
            rows = [[f"{n:,}"] + [f"{e[c]['insns'][str(n)]} ({e[c]['overhead'][str(n)]:+d})"
                                  if str(n) in e[c]["insns"] else "-" for c in cfgs]
                    for n in ns]
            _table(f, f"socket+connect+close under the egress allowlist, instructions "
                      f"(overhead over lsm=capability, {e['baseline']})",
                   ["entries"] + [heads[c] for c in cfgs], rows)
            rows = [[f"{n:,}"] + [f"{(e[c]['map_bytes'].get(str(n)) or 0) / 1048576:.1f}"
                                  for c in cfgs] for n in ns]
            _table(f, "Map memory, MiB (the kernel's memlock account of the map)",
                   ["entries"] + [heads[c] for c in cfgs], rows)
            f.write("- Hash: the egress_allowlist sample's map of (address, port) keys, "
                    "with room for max(4096, entries) entries; the connected address "
                    "is one of them.\n"
                    "- LPM trie: tools/bench/egress_lpm.bpf.c and its BPF LSM twin, "
                    "one socket_connect program each, whose trie holds entries adjacent "
                    "/30 networks from 127.0.0.0 up (the connected 127.0.0.1 in the "
                    "first); a lookup walks about log2(entries) nodes to the match.\n"
                    "- Under icount the figures count instructions: cache misses of a "
                    "large map do not show.\n\n")
            plot_egress(e, os.path.join(svg_dir, f"{stem}-egress.svg"))
            f.write(f".. image:: {stem}-egress.svg\n   :alt: instructions per connect "
                    f"against allowlist entries\n\n")
        if "memory" in r:
            m = r["memory"]
            rows = []
            for lsm, name in LSMS:
                if lsm not in m:
                    continue
                for fld in ("Slab", "Percpu", "VmallocUsed"):
                    if fld in m[lsm]:
                        x = m[lsm][fld]
                        rows.append([f"{name} ({m[lsm]['hooks']} hooks)", fld,
                                     f"{x['first_kB']} kB ({x['first_program_per_hook_bytes']} B)",
                                     f"{x['further_kB']} kB ({x['further_program_bytes']} B)",
                                     f"{x['left_after_detach_kB']} kB"])
            _table(f, "Memory of attached programs, /proc/meminfo deltas: total "
                      "(per attach)",
                   ["LSM", "meminfo", "first program on each hook",
                    f"{next(iter(m[l]['programs_per_hook'] for l, _ in LSMS if l in m)) - 1}"
                    " more on each hook", "left after detaching all"], rows)
            f.write("- Programs are loaded before the first reading, so only what "
                    "attaching allocates is counted. The kernel (SLUB_TINY, no "
                    "slabinfo) only reports whole pages: each figure is good to "
                    "about 4 KiB per slab cache touched, spread over the attaches: "
                    "a total of 4 kB or less either way is within it. Per-CPU "
                    "memory is for the benchmark's one vCPU, and the per-CPU "
                    "allocator may keep pages populated after their objects are "
                    "freed. BPF LSM's trampoline images come from the BPF program "
                    "pack (2 MiB, already there for the loaded programs) and do not "
                    "show in VmallocUsed.\n")
            for lsm, name in LSMS:
                x = m.get(lsm, {}).get("Slab")
                if x and abs(x["first_kB"]) <= 4:
                    f.write(f"- {name}: the first program on a hook takes no measurable "
                            f"slab memory ({x['first_kB']} kB over {m[lsm]['hooks']} "
                            f"hooks).\n")
            f.write("\n")
        if "macro" in r:
            mc = r["macro"]["configs"]
            rows = []
            for c, name in MACRO_CONFIGS:
                if c not in mc:
                    continue
                row = mc[c]
                cells = [name]
                for work, _ in WORKS:
                    w = row[work]
                    cells.append(f"{w['mean']:,} ({w.get('overhead_pct', 0):+.2f} %)")
                cells.append(", ".join(f"{row[ph]['spread_pct']:.2f}"
                                       for ph, _ in MACRO_PHASES if ph in row))
                rows.append(cells)
            _table(f, f"Macro benchmark, guest instructions (mean of {r['macro']['reps']}; "
                      f"overhead over lsm=capability)",
                   ["configuration", "unpack 2,000 files and read them back",
                    "2,000 loopback TCP exchanges", "spread, % (unpack, read, tcp)"], rows)
            f.write("- Each phase runs once to warm up, then 3 times; the spread is "
                    "(largest - smallest) / mean. The BPF LSM twins of egress_allowlist "
                    "and ingress_filter make the samples' decisions "
                    "(tools/bench/egress_lsm.bpf.c, ingress_lsm.bpf.c); the other "
                    "samples have no twin, and an allow-all BPF LSM program stands on "
                    "each of their hooks: a lower bound for a twin, so on the file side "
                    "(file_rate_limit counts every name the unpack creates) the "
                    "comparison favours BPF LSM.\n")
            for c, idle in SAME_BOOT_IDLE.items():
                if c in mc and idle in mc:
                    per_file = (mc[c]["files"]["mean"] - mc[idle]["files"]["mean"]) / MACRO_N
                    per_conn = (mc[c]["network"]["mean"] - mc[idle]["network"]["mean"]) / MACRO_N
                    f.write(f"- {dict(MACRO_CONFIGS)[c]}, against the same boot with "
                            f"nothing attached: files "
                            f"{mc[c]['files']['overhead_same_boot_pct']:+.2f} % "
                            f"({per_file:+.0f} instructions per file), TCP "
                            f"{mc[c]['network']['overhead_same_boot_pct']:+.2f} % "
                            f"({per_conn:+.0f} per exchange).\n")
            f.write("\n")
