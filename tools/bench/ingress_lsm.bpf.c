// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF LSM twin of samples/ingress_filter.bpf.c, for make bench's macro
 * benchmark: the same maps, keys and decision on inet_conn_request, read
 * from the kernel's structures through BTF (CO-RE) where Checmate hands its
 * program a copied context. The request sock already holds the SYN's
 * addresses and ports (tcp_openreq_init() and the family's init_req() run
 * before the hook); the family is the SYN's (skb->protocol), as the
 * sample's is; the cgroup id is the listener's cgroup v2 id.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define AF_INET		2
#define AF_INET6	10
#define ETH_P_IP_BE	0x0008	/* htons(ETH_P_IP) */
#define EPERM		1

/* Just the fields read here; libbpf relocates them against vmlinux BTF. */
struct in6_addr {
	__u32 addr[4];
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__u16 skc_num;
	struct in6_addr skc_v6_daddr;
} __attribute__((preserve_access_index));

struct request_sock {
	struct sock_common __req_common;
} __attribute__((preserve_access_index));

struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
} __attribute__((preserve_access_index));

struct sock_cgroup_data {
	struct cgroup *cgroup;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_cgroup_data sk_cgrp_data;
} __attribute__((preserve_access_index));

struct sk_buff {
	__be16 protocol;
} __attribute__((preserve_access_index));

struct ingress_key {
	__u32 family;
	__u32 port;	/* the listener's port */
	__u32 addr[4];	/* the peer; IPv4: addr[0]; network byte order */
};

struct ingress_cg_port {
	__u64 cgroup_id;
	__u32 port;
	__u32 reserved;
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

/* int inet_conn_request(const struct sock *sk, struct sk_buff *skb, struct request_sock *req) */
SEC("lsm/inet_conn_request")
int ingress_lsm_conn_request(unsigned long long *ctx)
{
	struct sock *sk = (void *)ctx[0];
	struct sk_buff *skb = (void *)ctx[1];
	struct request_sock *req = (void *)ctx[2];
	struct ingress_cg_port cg_port = {};
	struct ingress_cg_key cg_key = {};
	struct ingress_key key = {};
	__u32 port = req->__req_common.skc_num;

	key.port = port;
	if (skb->protocol == ETH_P_IP_BE) {
		key.family = AF_INET;
		key.addr[0] = req->__req_common.skc_daddr;
	} else {
		key.family = AF_INET6;
		bpf_probe_read_kernel(key.addr, 16, &req->__req_common.skc_v6_daddr);
	}
	if (bpf_map_lookup_elem(&ingress_ports, &port) &&
	    !bpf_map_lookup_elem(&ingress_allow, &key))
		return -EPERM;
	cg_port.cgroup_id = sk->sk_cgrp_data.cgroup->kn->id;
	cg_port.port = port;
	if (!bpf_map_lookup_elem(&ingress_cg_ports, &cg_port))
		return 0;
	cg_key.cgroup_id = cg_port.cgroup_id;
	cg_key.peer = key;
	return bpf_map_lookup_elem(&ingress_cg_allow, &cg_key) ? 0 : -EPERM;
}

char LICENSE[] SEC("license") = "GPL";
