// SPDX-License-Identifier: GPL-2.0
/*
 * An egress allowlist by network, for make bench's LPM-trie curve: on
 * socket_connect, an IPv4 destination must fall in one of the networks of
 * egress_cidr (BPF_MAP_TYPE_LPM_TRIE, longest prefix match); any other is
 * refused with ECONNREFUSED. Other families are not checked. Its BPF
 * LSM twin is egress_lpm_lsm.bpf.c.
 */
#include "checmate_policy.h"
#include "egress_lpm.h"

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
