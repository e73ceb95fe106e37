// SPDX-License-Identifier: GPL-2.0
/*
 * Ingress filter: a TCP listener on a port in ingress_ports accepts
 * connections only from the addresses in ingress_allow (for that port);
 * other SYNs are dropped, so the client sees a timeout. Runs in softirq at
 * inet_conn_request, where there is no current task: the policy is keyed by
 * the listener's port rather than by cgroup.
 */
#include "checmate_policy.h"

struct ingress_key {
	__u32 family;
	__u32 port;	/* the listener's port */
	__u32 addr[4];	/* the peer; IPv4: addr[0]; network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} ingress_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ingress_key);
	__type(value, __u8);
} ingress_allow SEC(".maps");

SEC("checmate/inet_conn_request")
int ingress_conn_request(struct checmate_sock_ctx *ctx)
{
	struct ingress_key key = {};
	__u32 port = ctx->local_port;

	if (!bpf_map_lookup_elem(&ingress_ports, &port))
		return 0;
	key.family = ctx->family;
	key.port = port;
	remote_addr(key.addr, ctx);
	return bpf_map_lookup_elem(&ingress_allow, &key) ? 0 : -EPERM;
}

char LICENSE[] SEC("license") = "GPL";
