// SPDX-License-Identifier: GPL-2.0
/*
 * Port mapping without DNAT: when a process of the cgroup held by
 * portmap_cgroup binds to a port that port_map lists, the socket binds to
 * the port the map gives instead (the RFC's Docker port-mapping case).
 */
#include "checmate_policy.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} port_map SEC(".maps");

POLICY_CGROUP(portmap_cgroup);

SEC("checmate/socket_bind")
int portmap_bind(struct checmate_sock_ctx *ctx)
{
	__u32 port = ctx->local_port;
	__u32 *to;

	if (!IN_POLICY_CGROUP(portmap_cgroup))
		return 0;
	to = bpf_map_lookup_elem(&port_map, &port);
	if (to)
		ctx->local_port = *to;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
