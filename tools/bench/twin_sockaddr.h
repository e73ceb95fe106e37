/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's IPv4 socket addresses as the BPF LSM twins read them: just
 * the fields read, which libbpf relocates against vmlinux BTF (CO-RE).
 */
#ifndef TWIN_SOCKADDR_H
#define TWIN_SOCKADDR_H

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

#endif
