// SPDX-License-Identifier: GPL-2.0
/*
 * Egress allowlist: processes in the cgroup held by egress_cgroup may
 * connect, and send, only to the IPv4/IPv6 address and port pairs in
 * egress_allow; a port of 0 there allows every port of the address (and is
 * the only entry that allows raw and ping sockets, which have no ports).
 * Anything else fails with ECONNREFUSED. Other processes are not affected.
 *
 * What it checks, by the address the kernel really uses (the context's):
 * - connect(2) of TCP, UDP, raw and ping sockets, including TCP Fast Open
 *   with TCP_FASTOPEN_CONNECT (its connect carries the address);
 * - sendto/sendmsg/sendmmsg on every datagram socket (UDP, raw, ping):
 *   the msg_name address, AF_UNSPEC as the kernel reads it, or the peer of
 *   a connected socket (also one connected before the policy or outside
 *   the cgroup and passed in);
 * - sendto(MSG_FASTOPEN) on an unconnected TCP socket, which connects;
 * - IPv4 through an AF_INET6 socket (::ffff:a.b.c.d, or AF_INET in a
 *   datagram msg_name): checked against the IPv4 entries;
 * - io_uring's connect, send, sendmsg and send_zc, which reach the same
 *   hooks (paths_test checks IORING_OP_CONNECT and IORING_OP_SENDMSG);
 * - SCTP, every address of it: connect(2), sctp_connectx()
 *   (SCTP_SOCKOPT_CONNECTX), a sendmsg() that starts an association (its
 *   msg_name and its SCTP_DSTADDRV4/V6 cmsgs) and SCTP_PRIMARY_ADDR, each
 *   address through socket_connect's programs (the context's info has
 *   CHECMATE_SOCK_F_SCTP_ADDRS for those that come from a list);
 * - MPTCP: connect(2) and sendto(MSG_FASTOPEN) of the first subflow;
 * - an address the kernel would refuse anyway is refused here too.
 *
 * What it does not cover: data sent on TCP connections that exist already
 * (accepted from outside, or passed in from outside the cgroup: they were
 * not connected by the cgroup); what CAP_NET_RAW allows (raw sockets with
 * IP_HDRINCL or IPV6_HDRINCL write their own destination header, IPv6
 * routing headers send through other addresses, AF_PACKET sockets are of
 * another family): deny raw and packet sockets at socket_create if the
 * cgroup may have it; and traffic the kernel sends on its own (ICMP
 * errors, TCP resets); the addresses an SCTP peer lists in its INIT or
 * adds later (ASCONF), and MPTCP's additional subflows, which the kernel's
 * path manager connects without socket_connect (see the admin guide:
 * "Paths beyond the system calls").
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

	if (!inet_sock(ctx))
		return 0;
	if (!IN_POLICY_CGROUP(egress_cgroup))
		return 0;
	if (ctx->info & CHECMATE_SOCK_F_BAD_ADDR)
		return -ECONNREFUSED;
	/* Disconnecting, or no destination: nothing is sent. */
	if (!(ctx->info & CHECMATE_SOCK_F_REMOTE))
		return 0;
	if (ctx->family != AF_INET && ctx->family != AF_INET6)
		return -ECONNREFUSED;
	key.family = ctx->family;
	key.port = remote_port(ctx);
	remote_addr(key.addr, ctx);
	if (key.port && bpf_map_lookup_elem(&egress_allow, &key))
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
	/*
	 * Stream sockets send to their peer, checked when the cgroup connected
	 * it; Fast Open connects here.
	 */
	if (ctx->type == SOCK_STREAM && !(ctx->info & CHECMATE_SOCK_F_CONNECTS))
		return 0;
	return egress_check(ctx);
}

char LICENSE[] SEC("license") = "GPL";
