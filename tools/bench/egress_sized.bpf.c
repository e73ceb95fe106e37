// SPDX-License-Identifier: GPL-2.0
/*
 * samples/egress_allowlist.bpf.c as it is, with room for EGRESS_MAX_ENTRIES
 * allowlist entries instead of its 4096: make bench's allowlist of 100,000
 * and 1,000,000 entries. Only map definitions are touched (a max_entries of
 * 4096 becomes EGRESS_MAX_ENTRIES; the sample's only such map is
 * egress_allow); the programs are the sample's, compiled from its source.
 */
#include "checmate_policy.h"

#undef __uint
#define __uint(name, val) int (*name)[bench_##name(val)]
#define bench_type(v) (v)
#define bench_key_size(v) (v)
#define bench_value_size(v) (v)
#define bench_map_flags(v) (v)
#define bench_pinning(v) (v)
#define bench_map_extra(v) (v)
#define bench_numa_node(v) (v)
#define bench_max_entries(v) ((v) == 4096 ? EGRESS_MAX_ENTRIES : (v))

#include "egress_allowlist.bpf.c"
