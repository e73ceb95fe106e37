// SPDX-License-Identifier: GPL-2.0
/*
 * Ingress filter: a TCP listener on a port in ingress_ports accepts
 * connections only from the addresses in ingress_allow (for that port);
 * other SYNs are dropped, so the client sees a timeout. Runs in softirq at
 * inet_conn_request, where there is no current task: the policy is keyed by
 * the listener's port for every listener, and, per container, by the
 * listener's cgroup v2 id (the cgroup of the process that created it) in
 * ingress_cg_ports and ingress_cg_allow. A port listed in both is checked
 * against both.
 *
 * The ports and addresses are those of the SYN, read past IPv4 options and
 * IPv6 extension headers; an IPv4 SYN reaching a [::] listener is IPv4
 * (family AF_INET), matched by the IPv4 entries.
 *
 * What it does not cover: UDP and other connectionless traffic (use
 * socket_sock_rcv_skb), connections to ports not listed, and listeners
 * whose cgroup is not the container's, a child cgroup of it included (the
 * cgroup ids match exactly; a socket keeps the cgroup of the process that
 * created it, also when passed to another process).
 */
#include "checmate_policy.h"

struct ingress_key {
	__u32 family;
	__u32 port;	/* the listener's port */
	__u32 addr[4];	/* the peer; IPv4: addr[0]; network byte order */
};

struct ingress_cg_port {
	__u64 cgroup_id;	/* the listener's cgroup v2 id */
	__u32 port;
	__u32 reserved;		/* 0 */
};

struct ingress_cg_key {
	__u64 cgroup_id;
	struct ingress_key peer;
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ingress_cg_port);
	__type(value, __u8);
} ingress_cg_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ingress_cg_key);
	__type(value, __u8);
} ingress_cg_allow SEC(".maps");

SEC("checmate/inet_conn_request")
int ingress_conn_request(struct checmate_sock_ctx *ctx)
{
	struct ingress_cg_port cg_port = {};
	struct ingress_cg_key cg_key = {};
	struct ingress_key key = {};
	__u32 port = ctx->local_port;

	key.family = ctx->family;
	key.port = port;
	remote_addr(key.addr, ctx);
	/* No ports seen (a fragment, a cut packet): not a SYN we can judge. */
	if (!(ctx->info & CHECMATE_SOCK_F_PORTS))
		return -EPERM;
	if (bpf_map_lookup_elem(&ingress_ports, &port) &&
	    !bpf_map_lookup_elem(&ingress_allow, &key))
		return -EPERM;
	cg_port.cgroup_id = ctx->cgroup_id;
	cg_port.port = port;
	if (!bpf_map_lookup_elem(&ingress_cg_ports, &cg_port))
		return 0;
	cg_key.cgroup_id = ctx->cgroup_id;
	cg_key.peer = key;
	return bpf_map_lookup_elem(&ingress_cg_allow, &cg_key) ? 0 : -EPERM;
}

char LICENSE[] SEC("license") = "GPL";
