// SPDX-License-Identifier: GPL-2.0
/*
 * Egress allowlist: processes in the cgroup held by egress_cgroup may
 * connect (and send UDP datagrams) only to the IPv4/IPv6 address and port
 * pairs in egress_allow; a port of 0 there allows every port of the address.
 * Anything else fails with ECONNREFUSED. Other processes are not affected.
 */
#include "checmate_policy.h"

struct egress_key {
	__u32 family;
	__u32 port;
	__u32 addr[4];	/* IPv4: addr[0]; network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct egress_key);
	__type(value, __u8);
} egress_allow SEC(".maps");

POLICY_CGROUP(egress_cgroup);

static __always_inline int egress_check(struct checmate_sock_ctx *ctx)
{
	struct egress_key key = {};

	if (ctx->family != AF_INET && ctx->family != AF_INET6)
		return 0;
	if (!IN_POLICY_CGROUP(egress_cgroup))
		return 0;
	key.family = ctx->family;
	key.port = ctx->remote_port;
	remote_addr(key.addr, ctx);
	if (bpf_map_lookup_elem(&egress_allow, &key))
		return 0;
	key.port = 0;
	if (bpf_map_lookup_elem(&egress_allow, &key))
		return 0;
	return -ECONNREFUSED;
}

SEC("checmate/socket_connect")
int egress_connect(struct checmate_sock_ctx *ctx)
{
	return egress_check(ctx);
}

SEC("checmate/socket_sendmsg")
int egress_sendmsg(struct checmate_sock_ctx *ctx)
{
	/* Connected sockets were checked at connect(). */
	if (ctx->type != SOCK_DGRAM)
		return 0;
	return egress_check(ctx);
}

char LICENSE[] SEC("license") = "GPL";
