/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allowlist of networks that egress_lpm.bpf.c and its BPF LSM twin
 * share: a longest-prefix-match trie of IPv4 networks. Its entries are
 * allocated as they are added (BPF_F_NO_PREALLOC, which the trie
 * requires), so max_entries is only a limit.
 */
#ifndef EGRESS_LPM_H
#define EGRESS_LPM_H

/* The trie's key: a prefix length in bits, then the address in network order. */
struct cidr_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1000000);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cidr_key);
	__type(value, __u8);
} egress_cidr SEC(".maps");

#endif
