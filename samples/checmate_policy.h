/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the Checmate sample policies: includes and a few constants. */
#ifndef CHECMATE_POLICY_H
#define CHECMATE_POLICY_H

#include <linux/bpf.h>
#include <linux/checmate.h>
#include <bpf/bpf_helpers.h>

#define AF_INET		2
#define AF_INET6	10
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

/* The peer's address of a socket context: IPv4 in addr[0], or IPv6. */
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

#endif
