// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF LSM twin of egress_lpm.bpf.c, for make bench's LPM-trie curve:
 * the same trie and decision on socket_connect, read from the kernel's
 * struct sockaddr through BTF (CO-RE). Like egress_lsm.bpf.c it leaves out
 * what the benchmark does not cross (the refusal of malformed addresses,
 * AF_INET6 sockets connecting to v4-mapped addresses).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define AF_INET		2
#define ECONNREFUSED	111

#include "twin_sockaddr.h"
#include "egress_lpm.h"

/* int socket_connect(struct socket *sock, struct sockaddr *address, int addrlen) */
SEC("lsm/socket_connect")
int egress_lpm_lsm(unsigned long long *ctx)
{
	struct sockaddr_in *sin = (void *)ctx[1];
	struct cidr_key key = { .prefixlen = 32 };

	if (sin->sin_family != AF_INET)
		return 0;
	key.addr = sin->sin_addr.s_addr;
	return bpf_map_lookup_elem(&egress_cidr, &key) ? 0 : -ECONNREFUSED;
}

char LICENSE[] SEC("license") = "GPL";
