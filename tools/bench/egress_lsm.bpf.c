// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF LSM twin of samples/egress_allowlist.bpf.c, for make bench
 * (configuration 8): the same maps, keys and decision on socket_connect,
 * written as a BPF LSM program must be: against the kernel's own structures
 * through BTF (CO-RE), where Checmate hands its program a copied context.
 * The benchmark crosses connect() only, so the sendmsg half is left out.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define AF_INET		2
#define AF_INET6	10
#define ECONNREFUSED	111

/* Just the fields read here; libbpf relocates them against vmlinux BTF. */
struct sockaddr {
	unsigned short sa_family;
} __attribute__((preserve_access_index));

struct in_addr {
	__be32 s_addr;
} __attribute__((preserve_access_index));

struct sockaddr_in {
	unsigned short sin_family;
	__be16 sin_port;
	struct in_addr sin_addr;
} __attribute__((preserve_access_index));

/* Only its offset is used: a union of arrays in the kernel. */
struct in6_addr {
	__u32 addr[4];
} __attribute__((preserve_access_index));

struct sockaddr_in6 {
	unsigned short sin6_family;
	__be16 sin6_port;
	__u32 sin6_flowinfo;
	struct in6_addr sin6_addr;
} __attribute__((preserve_access_index));

struct egress_key {
	__u32 family;
	__u32 port;
	__u32 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct egress_key);
	__type(value, __u8);
} egress_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} egress_cgroup SEC(".maps");

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
	if (bpf_map_lookup_elem(&egress_allow, &key))
		return 0;
	key.port = 0;
	if (bpf_map_lookup_elem(&egress_allow, &key))
		return 0;
	return -ECONNREFUSED;
}

char LICENSE[] SEC("license") = "GPL";
