// SPDX-License-Identifier: GPL-2.0
/*
 * Port mapping without DNAT: when a process of the cgroup held by
 * portmap_cgroup binds a TCP or UDP socket to a port that port_map lists,
 * the socket binds to the port the map gives instead (the RFC's Docker
 * port-mapping case).
 *
 * The port is the one the kernel would bind: bind(2) (and io_uring's
 * bind, which calls the same hook; not tested: the test kernel has no
 * io_uring) with AF_INET, with AF_UNSPEC and INADDR_ANY on an AF_INET socket (which
 * the kernel binds as AF_INET), with AF_INET6, and with a v4-mapped
 * address on an AF_INET6 socket.
 *
 * What it does not cover: ports chosen by the kernel (bind to port 0, and
 * the automatic bind of connect, sendto and listen on an unbound socket),
 * raw and ping sockets (they have no port), and binds the kernel refuses.
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

	if (!(ctx->info & CHECMATE_SOCK_F_PORTS) || (ctx->info & CHECMATE_SOCK_F_BAD_ADDR))
		return 0;
	if (!IN_POLICY_CGROUP(portmap_cgroup))
		return 0;
	to = bpf_map_lookup_elem(&port_map, &port);
	if (to)
		ctx->local_port = *to;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
