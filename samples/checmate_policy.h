/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the Checmate sample policies: includes and a few constants. */
#ifndef CHECMATE_POLICY_H
#define CHECMATE_POLICY_H

#include <linux/bpf.h>
#include <linux/checmate.h>
#include <bpf/bpf_helpers.h>

#define AF_INET		2
#define AF_INET6	10
#define SOCK_STREAM	1
#define SOCK_DGRAM	2

#define EPERM		1
#define EACCES		13
#define EDQUOT		122
#define ECONNREFUSED	111

/* A cgroup array of one entry: the cgroup a policy applies to. */
#define POLICY_CGROUP(name)					\
	struct {						\
		__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);	\
		__uint(max_entries, 1);				\
		__type(key, __u32);				\
		__type(value, __u32);				\
	} name SEC(".maps")

/* Is the caller in the cgroup (or below it) that @map holds? */
#define IN_POLICY_CGROUP(map) (bpf_current_task_under_cgroup(&(map), 0) == 1)

/*
 * The peer's address of a socket context: IPv4 in addr[0], or IPv6.
 * IPv4 traffic is family AF_INET whatever the socket's family: an AF_INET6
 * socket using v4-mapped addresses (::ffff:a.b.c.d), or receiving IPv4 on
 * a [::] listener, shows AF_INET and the IPv4 address, so one IPv4 entry
 * covers both (sock_family says which socket it is).
 */
static __always_inline void remote_addr(__u32 addr[4], const struct checmate_sock_ctx *ctx)
{
	if (ctx->family == AF_INET) {
		addr[0] = ctx->remote_ip4;
		return;
	}
	addr[0] = ctx->remote_ip6[0];
	addr[1] = ctx->remote_ip6[1];
	addr[2] = ctx->remote_ip6[2];
	addr[3] = ctx->remote_ip6[3];
}

/* Is the socket an IPv4 or IPv6 one? */
static __always_inline int inet_sock(const struct checmate_sock_ctx *ctx)
{
	return ctx->sock_family == AF_INET || ctx->sock_family == AF_INET6;
}

/* The remote port, or 0 ("every port") when there is none (raw, ping). */
static __always_inline __u32 remote_port(const struct checmate_sock_ctx *ctx)
{
	return ctx->info & CHECMATE_SOCK_F_PORTS ? ctx->remote_port : 0;
}

#endif
