// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF LSM twin of samples/egress_allowlist.bpf.c, for make bench: the
 * same maps, keys and decision on socket_connect and socket_sendmsg,
 * written as a BPF LSM program must be: against the kernel's own structures
 * through BTF (CO-RE), where Checmate hands its program a copied context.
 * The sample's SCTP address lists, raw and ping sockets' port 0 and the
 * refusal of addresses the kernel would refuse anyway are left out: the
 * benchmark does not cross them. EGRESS_MAX_ENTRIES sizes the allowlist
 * (the sample's 4096 unless the benchmark builds a larger one).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define AF_INET		2
#define AF_INET6	10
#define ECONNREFUSED	111
#define SOCK_STREAM	1
#define MSG_FASTOPEN	0x20000000

#ifndef EGRESS_MAX_ENTRIES
#define EGRESS_MAX_ENTRIES 4096
#endif

#include "twin_sockaddr.h"

/*
 * The other fields read here (CO-RE, as in twin_sockaddr.h). Of
 * struct in6_addr only the offset is used: a union of arrays in the kernel.
 */
struct in6_addr {
	__u32 addr[4];
} __attribute__((preserve_access_index));

struct sockaddr_in6 {
	unsigned short sin6_family;
	__be16 sin6_port;
	__u32 sin6_flowinfo;
	struct in6_addr sin6_addr;
} __attribute__((preserve_access_index));

struct sock_common {
	unsigned short skc_family;
	__be32 skc_daddr;
	__be16 skc_dport;
	struct in6_addr skc_v6_daddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct socket {
	short type;
	struct sock *sk;
} __attribute__((preserve_access_index));

struct msghdr {
	void *msg_name;
	int msg_namelen;
	unsigned int msg_flags;
} __attribute__((preserve_access_index));

struct egress_key {
	__u32 family;
	__u32 port;
	__u32 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EGRESS_MAX_ENTRIES);
	__type(key, struct egress_key);
	__type(value, __u8);
} egress_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} egress_cgroup SEC(".maps");

/* The sample's decision: the exact (address, port), else the address with port 0. */
static __always_inline int allowed(struct egress_key *key)
{
	if (key->port && bpf_map_lookup_elem(&egress_allow, key))
		return 0;
	key->port = 0;
	if (bpf_map_lookup_elem(&egress_allow, key))
		return 0;
	return -ECONNREFUSED;
}

/* int socket_connect(struct socket *sock, struct sockaddr *address, int addrlen) */
SEC("lsm/socket_connect")
int egress_lsm_connect(unsigned long long *ctx)
{
	struct sockaddr *address = (void *)ctx[1];
	struct egress_key key = {};

	key.family = address->sa_family;
	if (key.family != AF_INET && key.family != AF_INET6)
		return 0;
	if (bpf_current_task_under_cgroup(&egress_cgroup, 0) != 1)
		return 0;
	if (key.family == AF_INET) {
		struct sockaddr_in *sin = (void *)address;

		key.port = __builtin_bswap16(sin->sin_port);
		key.addr[0] = sin->sin_addr.s_addr;
	} else {
		struct sockaddr_in6 *sin6 = (void *)address;

		key.port = __builtin_bswap16(sin6->sin6_port);
		/* Past struct sockaddr: BTF access stops there. */
		bpf_probe_read_kernel(key.addr, 16, &sin6->sin6_addr);
	}
	return allowed(&key);
}

/* int socket_sendmsg(struct socket *sock, struct msghdr *msg, int size) */
SEC("lsm/socket_sendmsg")
int egress_lsm_sendmsg(unsigned long long *ctx)
{
	struct socket *sock = (void *)ctx[0];
	struct msghdr *msg = (void *)ctx[1];
	struct sock *sk = sock->sk;
	struct egress_key key = {};
	/* A kernel copy of the caller's address: family, port, then the address. */
	__u8 name[28] = {};
	__u16 family;

	if (sock->type == SOCK_STREAM && !(msg->msg_flags & MSG_FASTOPEN))
		return 0;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (bpf_current_task_under_cgroup(&egress_cgroup, 0) != 1)
		return 0;
	if (msg->msg_name && msg->msg_namelen >= 16) {
		bpf_probe_read_kernel(name, sizeof(name), msg->msg_name);
		key.family = *(__u16 *)name;
		key.port = __builtin_bswap16(*(__u16 *)(name + 2));
		if (key.family == AF_INET)
			key.addr[0] = *(__u32 *)(name + 4);
		else if (key.family == AF_INET6)
			__builtin_memcpy(key.addr, name + 8, 16);
		else
			return -ECONNREFUSED;
	} else {
		/* Connected: the socket's peer. */
		key.family = family;
		key.port = __builtin_bswap16(sk->__sk_common.skc_dport);
		if (family == AF_INET)
			key.addr[0] = sk->__sk_common.skc_daddr;
		else
			bpf_probe_read_kernel(key.addr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	return allowed(&key);
}

char LICENSE[] SEC("license") = "GPL";
