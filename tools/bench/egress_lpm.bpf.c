// SPDX-License-Identifier: GPL-2.0
/*
 * An egress allowlist by network, for make bench's LPM-trie curve: on
 * socket_connect, an IPv4 destination must fall in one of the networks of
 * egress_cidr (BPF_MAP_TYPE_LPM_TRIE, longest prefix match); any other is
 * refused with ECONNREFUSED. Other families are not checked. The entries
 * are allocated as they are added (BPF_F_NO_PREALLOC, which the trie
 * requires), so max_entries is only a limit. Its BPF LSM twin is
 * egress_lpm_lsm.bpf.c.
 */
#include "checmate_policy.h"

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

SEC("checmate/socket_connect")
int egress_lpm_conn(struct checmate_sock_ctx *ctx)
{
	struct cidr_key key = { .prefixlen = 32 };

	if (!inet_sock(ctx))
		return 0;
	if (ctx->info & CHECMATE_SOCK_F_BAD_ADDR)
		return -ECONNREFUSED;
	/* Disconnecting (AF_UNSPEC): no destination. */
	if (!(ctx->info & CHECMATE_SOCK_F_REMOTE) || ctx->family != AF_INET)
		return 0;
	key.addr = ctx->remote_ip4;
	return bpf_map_lookup_elem(&egress_cidr, &key) ? 0 : -ECONNREFUSED;
}

char LICENSE[] SEC("license") = "GPL";
