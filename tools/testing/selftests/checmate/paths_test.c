// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: paths beyond the plain system calls.
 *
 * A distribution kernel binds, connects, sends and creates on paths that
 * do not go through bind(2), connect(2), open(2) and mkdir(2): SCTP's
 * address lists (sctp_bindx(), sctp_connectx(), a sendmsg() that starts an
 * association, its SCTP_DSTADDRV4 cmsgs, SCTP_PRIMARY_ADDR), MPTCP and TCP
 * Fast Open, io_uring's CONNECT, SENDMSG, OPENAT and MKDIRAT (inline and in
 * its io-wq workers), and overlayfs, which creates on the upper filesystem
 * itself. Each test attaches a program to the hook a policy would use, and
 * checks that the operation meets it (fails with the program's errno) and
 * that, without the program, the same operation succeeds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/sctp.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "common.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_SCTP
#define SOL_SCTP 132
#endif

#define H(x) CHECMATE_HOOK_##x
#define OFF(f) offsetof(struct checmate_sock_ctx, f)
#define F(x) CHECMATE_SOCK_F_##x
#define SA(x) ((struct sockaddr *)&(x))
/* 127.0.0.n, network order, as a context holds it. */
#define LO(n) htonl(0x7f000000 | (n))

static struct sockaddr_in sin4(int n, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = LO(n);
	return sin;
}

/* ::ffff:127.0.0.n */
static struct sockaddr_in6 mapped(int n, int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	sin6.sin6_addr.s6_addr32[2] = htonl(0xffff);
	sin6.sin6_addr.s6_addr32[3] = LO(n);
	return sin6;
}

static int port_of(int s)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);

	if (getsockname(s, SA(sa), &len))
		return -1;
	return ntohs(sa.sin6_port);	/* same offset in sockaddr_in */
}

/* Deny with EDOM when this process's context has @val in the u32 at @off. */
static int deny_if(unsigned int hook, int off, __u32 val)
{
	int fd = load_deny_if(hook, getpid(), off, 4, val, DENY_ERRNO);

	if (fd < 0)
		return -1;
	if (cm_attach(hook, fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Deny everything this process does on @hook. */
static int deny_all(unsigned int hook)
{
	int fd = load_deny_tgid(hook, getpid(), DENY_ERRNO);

	if (fd < 0)
		return -1;
	if (cm_attach(hook, fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void undo(unsigned int hook, int fd)
{
	cm_detach(hook, fd);
	close(fd);
}

/* What a copy program stores: the context and how many times it ran. */
struct record {
	struct checmate_sock_ctx ctx;
	__u64 runs;
};

/*
 * Copy this process's context into @map when the u32 at @off is @val (any
 * value if @off < 0), counting the runs; attached to @hook. A @ctx_size of
 * 0 only counts.
 */
static int copy_if(unsigned int hook, int map, int ctx_size, int off, __u32 val)
{
	struct bpf_insn insns[80];
	int n = 0, skip[4], nskip = 0, fd;

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	skip[nskip++] = n;
	insns[n++] = JNE_IMM(0, getpid(), 0);
	if (off >= 0) {
		insns[n++] = LDX_MEM(BPF_W, 2, 6, off);
		skip[nskip++] = n;
		insns[n++] = JNE_IMM(2, val, 0);
	}
	n = emit_copy_tail(insns, n, map, ctx_size, ctx_size ? offsetof(struct record, runs) : 0,
			   0, skip, nskip);
	fd = load_prog(hook, insns, n);
	if (fd < 0)
		return -1;
	if (cm_attach(hook, fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int record_map(void)
{
	return cm_map_create(BPF_MAP_TYPE_ARRAY, sizeof(struct record), 1, -1, 0);
}

static int count_map(void)
{
	return cm_map_create(BPF_MAP_TYPE_ARRAY, sizeof(__u64), 1, -1, 0);
}

static struct record read_record(int map)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	cm_map_elem(BPF_MAP_LOOKUP_ELEM, map, 0, &r);
	return r;
}

static int clear_map(int map)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	return cm_map_elem(BPF_MAP_UPDATE_ELEM, map, 0, &r);
}

static __u64 read_count(int map)
{
	__u64 v = 0;

	cm_map_elem(BPF_MAP_LOOKUP_ELEM, map, 0, &v);
	return v;
}

/* ---- SCTP ---- */

/* An SCTP socket, or -1 (and the test is skipped) without SCTP. */
static int sctp_socket(struct __test_metadata *_metadata, int family, int type)
{
	int s = socket(family, type, IPPROTO_SCTP);

	if (s < 0 && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT))
		SKIP(return -1, "no SCTP");
	return s;
}

static int bindx_add(int s, const void *addrs, int len)
{
	return setsockopt(s, SOL_SCTP, SCTP_SOCKOPT_BINDX_ADD, addrs, len);
}

/* sctp_connectx(): the association id (> 0), or -1 with errno. */
static int connectx(int s, const void *addrs, int len)
{
	return setsockopt(s, SOL_SCTP, SCTP_SOCKOPT_CONNECTX, addrs, len);
}

/* A one-to-one SCTP listener on 127.0.0.1-3 (a port of its own). */
static int sctp_listener(struct __test_metadata *_metadata, int *port)
{
	struct sockaddr_in a[2];
	struct sockaddr_in one = sin4(1, 0);
	int l = sctp_socket(_metadata, AF_INET, SOCK_STREAM);

	if (l < 0)
		return -1;
	if (bind(l, SA(one), sizeof(one)))
		return -1;
	*port = port_of(l);
	a[0] = sin4(2, *port);
	a[1] = sin4(3, *port);
	if (bindx_add(l, a, sizeof(a)) || listen(l, 64))
		return -1;
	return l;
}

/*
 * sctp_connectx() connects to every address of its list without
 * connect(2): each meets socket_connect's programs, the second as the
 * first, and a denial refuses the whole call with the program's errno.
 */
TEST(sctp_connectx_each_address_meets_socket_connect)
{
	struct sockaddr_in a[2];
	int port, l, c, fd;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	a[0] = sin4(1, port);
	a[1] = sin4(4, port);
	/* Deny 127.0.0.4, the second address. */
	fd = deny_if(H(SOCKET_CONNECT), OFF(remote_ip4), LO(4));
	ASSERT_LE(0, fd);
	c = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	EXPECT_EQ(-1, connectx(c, a, sizeof(a)));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(c);
	/* The first address alone is allowed. */
	c = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	EXPECT_LT(0, connectx(c, a, sizeof(a[0])));
	close(c);
	undo(H(SOCKET_CONNECT), fd);
	/* Without the program the list connects. */
	c = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	EXPECT_LT(0, connectx(c, a, sizeof(a)));
	close(c);
	close(l);
}

/* A send with SCTP_DSTADDRV6 cmsgs (::1), to msg_name. */
static ssize_t send_dstaddr6(int s, struct sockaddr_in6 *to)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_addr))];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_name = to, .msg_namelen = sizeof(*to), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;

	memset(cbuf, 0, sizeof(cbuf));
	cm->cmsg_level = IPPROTO_SCTP;
	cm->cmsg_type = SCTP_DSTADDRV6;
	cm->cmsg_len = CMSG_LEN(sizeof(lo));
	memcpy(CMSG_DATA(cm), &lo, sizeof(lo));
	return sendmsg(s, &msg, 0);
}

/*
 * IPv6 entries (28 bytes, the address at offset 8) of connectx and of
 * SCTP_DSTADDRV6 meet socket_connect as IPv6 addresses.
 */
TEST(sctp_ipv6_addresses_meet_socket_connect)
{
	struct sockaddr_in6 a[2], any = { .sin6_family = AF_INET6 };
	int port, l, c, fd;

	l = sctp_socket(_metadata, AF_INET6, SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, SA(any), sizeof(any)));
	ASSERT_EQ(0, listen(l, 16));
	port = port_of(l);
	memset(a, 0, sizeof(a));
	a[0] = mapped(1, port);
	a[1].sin6_family = AF_INET6;
	a[1].sin6_port = htons(port);
	a[1].sin6_addr = (struct in6_addr)IN6ADDR_LOOPBACK_INIT;
	/* Deny ::1 (the last word of the address, AF_INET6). */
	fd = load_deny_if(H(SOCKET_CONNECT), getpid(), OFF(remote_ip6[3]), 4, htonl(1),
			  DENY_ERRNO);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cm_attach(H(SOCKET_CONNECT), fd));
	c = sctp_socket(_metadata, AF_INET6, SOCK_STREAM);
	EXPECT_EQ(-1, connectx(c, a, sizeof(a)));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(c);
	c = sctp_socket(_metadata, AF_INET6, SOCK_SEQPACKET);
	EXPECT_EQ(-1, send_dstaddr6(c, &a[0]));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(c);
	undo(H(SOCKET_CONNECT), fd);
	c = sctp_socket(_metadata, AF_INET6, SOCK_STREAM);
	EXPECT_LT(0, connectx(c, a, sizeof(a)));
	close(c);
	c = sctp_socket(_metadata, AF_INET6, SOCK_SEQPACKET);
	EXPECT_EQ(1, send_dstaddr6(c, &a[0]));
	close(c);
	close(l);
}

/*
 * The context of a connectx address is socket_connect's for it: a
 * v4-mapped address on an AF_INET6 socket is IPv4, the port is the
 * association's, protocol IPPROTO_SCTP, CHECMATE_SOCK_F_SCTP_ADDRS.
 */
TEST(sctp_connectx_context)
{
	struct sockaddr_in6 a[2];
	struct record r;
	int port, l, c, fd, map;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	map = record_map();
	ASSERT_LE(0, map);
	a[0] = mapped(1, port);
	a[1] = mapped(5, port);
	fd = copy_if(H(SOCKET_CONNECT), map, sizeof(struct checmate_sock_ctx),
		     OFF(remote_ip4), LO(5));
	ASSERT_LE(0, fd);
	c = sctp_socket(_metadata, AF_INET6, SOCK_STREAM);
	EXPECT_LT(0, connectx(c, a, sizeof(a)));
	undo(H(SOCKET_CONNECT), fd);
	r = read_record(map);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(AF_INET, r.ctx.family);
	EXPECT_EQ(AF_INET6, r.ctx.sock_family);
	EXPECT_EQ(SOCK_STREAM, r.ctx.type);
	EXPECT_EQ(IPPROTO_SCTP, r.ctx.protocol);
	EXPECT_EQ(port, r.ctx.remote_port);
	EXPECT_EQ(LO(5), r.ctx.remote_ip4);
	EXPECT_EQ(F(REMOTE) | F(PORTS) | F(SCTP_ADDRS), r.ctx.info);
	close(c);
	close(map);
	close(l);
}

/*
 * sctp_bindx(SCTP_BINDX_ADD_ADDR) binds more addresses without bind(2):
 * each meets socket_bind's programs. Port 0 is the socket's port, as
 * SCTP binds it.
 */
TEST(sctp_bindx_each_address_meets_socket_bind)
{
	struct sockaddr_in one = sin4(1, 0), a[2];
	struct record r;
	int s, fd, map, port;

	s = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, bind(s, SA(one), sizeof(one)));
	port = port_of(s);
	a[0] = sin4(2, 0);
	a[1] = sin4(4, 0);
	fd = deny_if(H(SOCKET_BIND), OFF(local_ip4), LO(4));
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bindx_add(s, a, sizeof(a)));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(0, bindx_add(s, a, sizeof(a[0])));
	undo(H(SOCKET_BIND), fd);
	EXPECT_EQ(0, bindx_add(s, &a[1], sizeof(a[1])));

	map = record_map();
	ASSERT_LE(0, map);
	fd = copy_if(H(SOCKET_BIND), map, sizeof(struct checmate_sock_ctx),
		     OFF(local_ip4), LO(6));
	ASSERT_LE(0, fd);
	a[0] = sin4(6, 0);
	EXPECT_EQ(0, bindx_add(s, a, sizeof(a[0])));
	undo(H(SOCKET_BIND), fd);
	r = read_record(map);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(AF_INET, r.ctx.family);
	EXPECT_EQ(IPPROTO_SCTP, r.ctx.protocol);
	EXPECT_EQ(LO(6), r.ctx.local_ip4);
	EXPECT_EQ(port, r.ctx.local_port);
	EXPECT_EQ(F(LOCAL) | F(PORTS) | F(SCTP_ADDRS), r.ctx.info & ~F(REMOTE));
	/* Another port than the socket's: the kernel refuses it, and says so. */
	ASSERT_EQ(0, clear_map(map));
	fd = copy_if(H(SOCKET_BIND), map, sizeof(struct checmate_sock_ctx),
		     OFF(local_ip4), LO(6));
	ASSERT_LE(0, fd);
	a[0] = sin4(6, port == 65535 ? 1 : port + 1);
	EXPECT_EQ(-1, bindx_add(s, a, sizeof(a[0])));
	EXPECT_EQ(EINVAL, errno);
	undo(H(SOCKET_BIND), fd);
	r = read_record(map);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(F(BAD_ADDR), r.ctx.info & F(BAD_ADDR));
	close(map);
	close(s);
}

/* A socket_bind program that sets local_port to @port for 127.0.0.@n. */
static int rewrite_port(int n, int port)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, 2, 1, OFF(local_ip4)),
		JNE_IMM(2, LO(n), 2),
		MOV64_IMM(2, port),
		STX_MEM(BPF_W, 1, 2, OFF(local_port)),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	int fd = load_prog(H(SOCKET_BIND), insns, ARRAY_LEN(insns));

	if (fd < 0)
		return -1;
	if (cm_attach(H(SOCKET_BIND), fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A port socket_bind's programs write is the port bindx binds: the first
 * address of an unbound socket takes it; a socket bound to another port
 * cannot (SCTP has one port per socket: EINVAL, as a bindx with that port
 * gets).
 */
TEST(sctp_bindx_port_rewrite_is_applied)
{
	struct sockaddr_in a = sin4(7, 0), one = sin4(1, 0);
	int s, fd, q;

	s = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	ASSERT_LE(0, s);
	/* A port nothing uses: one SCTP just gave and took back. */
	ASSERT_EQ(0, bind(s, SA(one), sizeof(one)));
	q = port_of(s);
	close(s);
	fd = rewrite_port(7, q);
	ASSERT_LE(0, fd);
	s = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	EXPECT_EQ(0, bindx_add(s, &a, sizeof(a)));
	EXPECT_EQ(q, port_of(s));
	close(s);
	s = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, bind(s, SA(one), sizeof(one)));
	EXPECT_NE(q, port_of(s));
	EXPECT_EQ(-1, bindx_add(s, &a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	close(s);
	undo(H(SOCKET_BIND), fd);
}

/* A sendmsg() with SCTP_DSTADDRV4 cmsgs, to msg_name. */
static ssize_t send_dstaddrs(int s, struct sockaddr_in *to, const int *extra, int n)
{
	char cbuf[CMSG_SPACE(sizeof(struct in_addr)) * 4];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_name = to, .msg_namelen = sizeof(*to), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(sizeof(struct in_addr)) * n,
	};
	struct cmsghdr *cm;
	int i = 0;

	memset(cbuf, 0, sizeof(cbuf));
	for (cm = CMSG_FIRSTHDR(&msg); cm && i < n; cm = CMSG_NXTHDR(&msg, cm), i++) {
		struct in_addr ia = { .s_addr = LO(extra[i]) };

		cm->cmsg_level = IPPROTO_SCTP;
		cm->cmsg_type = SCTP_DSTADDRV4;
		cm->cmsg_len = CMSG_LEN(sizeof(ia));
		memcpy(CMSG_DATA(cm), &ia, sizeof(ia));
	}
	return sendmsg(s, &msg, 0);
}

/*
 * A sendmsg() to a new association connects to msg_name and to the
 * addresses of its SCTP_DSTADDRV4 cmsgs, without connect(2): each meets
 * socket_connect's programs.
 */
TEST(sctp_sendmsg_new_association_meets_socket_connect)
{
	struct sockaddr_in to;
	int port, l, c, fd, allowed = 2, denied = 4;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	fd = deny_if(H(SOCKET_CONNECT), OFF(remote_ip4), LO(4));
	ASSERT_LE(0, fd);
	c = sctp_socket(_metadata, AF_INET, SOCK_SEQPACKET);
	to = sin4(4, port);
	EXPECT_EQ(-1, sendto(c, "x", 1, 0, SA(to), sizeof(to)));
	EXPECT_EQ(DENY_ERRNO, errno);
	to = sin4(1, port);
	EXPECT_EQ(-1, send_dstaddrs(c, &to, &denied, 1));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(1, send_dstaddrs(c, &to, &allowed, 1));
	close(c);
	undo(H(SOCKET_CONNECT), fd);
	c = sctp_socket(_metadata, AF_INET, SOCK_SEQPACKET);
	to = sin4(1, port);
	EXPECT_EQ(1, send_dstaddrs(c, &to, &denied, 1));
	close(c);
	c = sctp_socket(_metadata, AF_INET, SOCK_SEQPACKET);
	to = sin4(4, port);
	EXPECT_EQ(1, sendto(c, "x", 1, 0, SA(to), sizeof(to)));
	close(c);
	close(l);
}

/* Puts one cmsg of SCTP level @type with @len bytes of @data in @m's @buf. */
static void sctp_cmsg(struct msghdr *m, char *buf, size_t size, int type,
		      const void *data, size_t len)
{
	struct cmsghdr *cm;

	memset(buf, 0, size);
	m->msg_control = buf;
	m->msg_controllen = CMSG_SPACE(len);
	cm = CMSG_FIRSTHDR(m);
	cm->cmsg_level = IPPROTO_SCTP;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
}

/*
 * sendmmsg() skips the LSM (socket_sendmsg) for a message to the same
 * msg_name as the one before it. A 0-byte SCTP_ABORT ends the association
 * the first message started; the third message starts a new one with a
 * refused SCTP_DSTADDRV4 address, which the kernel checks as it adds it
 * (sctp_sendmsg_new_asoc(), patches/0006): the third message fails and no
 * association is left.
 */
TEST(sctp_sendmmsg_new_association_checks_each_address)
{
	struct sctp_sndinfo abort_info = { .snd_flags = SCTP_ABORT };
	struct in_addr refused = { .s_addr = LO(4) };
	struct iovec data = { .iov_base = "x", .iov_len = 1 };
	char abuf[CMSG_SPACE(sizeof(abort_info))];
	char dbuf[CMSG_SPACE(sizeof(refused))];
	socklen_t len = sizeof(__u32);
	struct sockaddr_in to;
	struct mmsghdr m[3];
	int port, l, c, fd;
	__u32 assocs = 1;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	c = sctp_socket(_metadata, AF_INET, SOCK_SEQPACKET);
	ASSERT_LE(0, c);
	fd = deny_if(H(SOCKET_CONNECT), OFF(remote_ip4), LO(4));
	ASSERT_LE(0, fd);
	to = sin4(1, port);
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m[i].msg_hdr.msg_name = &to;
		m[i].msg_hdr.msg_namelen = sizeof(to);
		m[i].msg_hdr.msg_iov = &data;
		m[i].msg_hdr.msg_iovlen = i != 1;
	}
	sctp_cmsg(&m[1].msg_hdr, abuf, sizeof(abuf), SCTP_SNDINFO, &abort_info,
		  sizeof(abort_info));
	sctp_cmsg(&m[2].msg_hdr, dbuf, sizeof(dbuf), SCTP_DSTADDRV4, &refused,
		  sizeof(refused));
	/* Without MSG_DONTWAIT, the third message can wait for the INIT. */
	EXPECT_EQ(2, sendmmsg(c, m, 3, MSG_DONTWAIT));
	ASSERT_EQ(0, getsockopt(c, SOL_SCTP, SCTP_GET_ASSOC_NUMBER, &assocs, &len));
	EXPECT_EQ(0, assocs);
	close(c);
	undo(H(SOCKET_CONNECT), fd);
	close(l);
}

/*
 * bind(2) and connect(2) of SCTP follow SCTP's address rules in
 * socket_bind's and socket_connect's contexts: an AF_INET address on an
 * AF_INET6 socket is IPv4 (TCP would refuse it), AF_UNSPEC is refused
 * (EOPNOTSUPP), not a disconnect.
 */
TEST(sctp_bind_connect_syscall_contexts)
{
	struct sockaddr_in one = sin4(1, 0), to;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct record r;
	int port, l, c, fd, map;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	map = record_map();
	ASSERT_LE(0, map);
	c = sctp_socket(_metadata, AF_INET6, SOCK_STREAM);
	fd = copy_if(H(SOCKET_BIND), map, sizeof(struct checmate_sock_ctx), -1, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, bind(c, SA(one), sizeof(one)));
	undo(H(SOCKET_BIND), fd);
	r = read_record(map);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(AF_INET, r.ctx.family);
	EXPECT_EQ(AF_INET6, r.ctx.sock_family);
	EXPECT_EQ(LO(1), r.ctx.local_ip4);
	EXPECT_EQ(F(LOCAL) | F(PORTS), r.ctx.info);

	ASSERT_EQ(0, clear_map(map));
	fd = copy_if(H(SOCKET_CONNECT), map, sizeof(struct checmate_sock_ctx), -1, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, connect(c, &unspec, sizeof(unspec)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	r = read_record(map);
	EXPECT_EQ(F(BAD_ADDR), r.ctx.info & (F(BAD_ADDR) | F(DISCONNECT)));
	to = sin4(2, port);
	EXPECT_EQ(0, connect(c, SA(to), sizeof(to)));
	undo(H(SOCKET_CONNECT), fd);
	r = read_record(map);
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(AF_INET, r.ctx.family);
	EXPECT_EQ(LO(2), r.ctx.remote_ip4);
	EXPECT_EQ(port, r.ctx.remote_port);
	EXPECT_EQ(0, r.ctx.info & F(BAD_ADDR));
	close(c);
	close(map);
	close(l);
}

/*
 * The LSM slot of sctp_bind_connect is on while socket_bind or
 * socket_connect has programs: detaching the last program of one of them
 * leaves it on for the other.
 */
TEST(sctp_slot_follows_both_hooks)
{
	struct sockaddr_in one = sin4(1, 0), a[2], b = sin4(4, 0);
	int port, l, c, s, allow, deny;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	a[0] = sin4(1, port);
	a[1] = sin4(4, port);
	allow = load_ret(H(SOCKET_BIND), 0);
	ASSERT_LE(0, allow);
	ASSERT_EQ(0, cm_attach(H(SOCKET_BIND), allow));
	deny = deny_if(H(SOCKET_CONNECT), OFF(remote_ip4), LO(4));
	ASSERT_LE(0, deny);
	undo(H(SOCKET_BIND), allow);
	c = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	EXPECT_EQ(-1, connectx(c, a, sizeof(a)));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(c);

	allow = load_ret(H(SOCKET_CONNECT), 0);
	ASSERT_LE(0, allow);
	ASSERT_EQ(0, cm_attach(H(SOCKET_CONNECT), allow));
	undo(H(SOCKET_CONNECT), deny);
	deny = deny_if(H(SOCKET_BIND), OFF(local_ip4), LO(4));
	ASSERT_LE(0, deny);
	undo(H(SOCKET_CONNECT), allow);
	s = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, bind(s, SA(one), sizeof(one)));
	EXPECT_EQ(-1, bindx_add(s, &b, sizeof(b)));
	EXPECT_EQ(DENY_ERRNO, errno);
	undo(H(SOCKET_BIND), deny);
	EXPECT_EQ(0, bindx_add(s, &b, sizeof(b)));
	close(s);
	close(l);
}

/*
 * socket_sendmsg's context of an SCTP send with msg_name: where the data
 * goes, port included (SCTP was read as a portless datagram socket).
 */
TEST(sctp_sendmsg_context)
{
	struct sockaddr_in to;
	struct record r;
	int port, l, c, fd, map;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	map = record_map();
	ASSERT_LE(0, map);
	fd = copy_if(H(SOCKET_SENDMSG), map, sizeof(struct checmate_sock_ctx), -1, 0);
	ASSERT_LE(0, fd);
	c = sctp_socket(_metadata, AF_INET, SOCK_SEQPACKET);
	to = sin4(2, port);
	EXPECT_EQ(1, sendto(c, "x", 1, 0, SA(to), sizeof(to)));
	undo(H(SOCKET_SENDMSG), fd);
	r = read_record(map);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(IPPROTO_SCTP, r.ctx.protocol);
	EXPECT_EQ(SOCK_SEQPACKET, r.ctx.type);
	EXPECT_EQ(AF_INET, r.ctx.family);
	EXPECT_EQ(port, r.ctx.remote_port);
	EXPECT_EQ(LO(2), r.ctx.remote_ip4);
	EXPECT_EQ(F(REMOTE) | F(PORTS) | F(MSG_NAME), r.ctx.info);
	close(c);
	close(map);
	close(l);
}

/* SCTP_PRIMARY_ADDR makes a peer address the one data goes to: a connect. */
TEST(sctp_primary_addr_meets_socket_connect)
{
	struct sockaddr_in a[2];
	struct sctp_prim prim;
	int port, l, c, fd;

	l = sctp_listener(_metadata, &port);
	ASSERT_LE(0, l);
	a[0] = sin4(1, port);
	a[1] = sin4(2, port);
	c = sctp_socket(_metadata, AF_INET, SOCK_STREAM);
	ASSERT_LT(0, connectx(c, a, sizeof(a)));
	memset(&prim, 0, sizeof(prim));
	memcpy(&prim.ssp_addr, &a[1], sizeof(a[1]));
	fd = deny_if(H(SOCKET_CONNECT), OFF(remote_ip4), LO(2));
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, setsockopt(c, SOL_SCTP, SCTP_PRIMARY_ADDR, &prim, sizeof(prim)));
	EXPECT_EQ(DENY_ERRNO, errno);
	undo(H(SOCKET_CONNECT), fd);
	EXPECT_EQ(0, setsockopt(c, SOL_SCTP, SCTP_PRIMARY_ADDR, &prim, sizeof(prim)));
	close(c);
	close(l);
}

/* ---- MPTCP and TCP Fast Open ---- */

/* A listener of @protocol on 127.0.0.1, or -1 (skipped without MPTCP). */
static int stream_listener(struct __test_metadata *_metadata, int protocol, int *port)
{
	struct sockaddr_in a = sin4(1, 0);
	int qlen = 5, l = socket(AF_INET, SOCK_STREAM, protocol);

	if (l < 0 && protocol == IPPROTO_MPTCP)
		SKIP(return -1, "no MPTCP: %s", strerror(errno));
	if (l < 0 || bind(l, SA(a), sizeof(a)) || listen(l, 16))
		return -1;
	setsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen));
	*port = port_of(l);
	return l;
}

static void connect_policy(struct __test_metadata *_metadata, int protocol)
{
	struct sockaddr_in to;
	int port, l, c, s, fd;
	char ch = 0;

	l = stream_listener(_metadata, protocol, &port);
	ASSERT_LE(0, l);
	to = sin4(1, port);
	fd = deny_if(H(SOCKET_CONNECT), OFF(remote_port), port);
	ASSERT_LE(0, fd);
	c = socket(AF_INET, SOCK_STREAM, protocol);
	EXPECT_EQ(-1, connect(c, SA(to), sizeof(to)));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(c);
	/* Fast Open connects from sendto(): the same policy. */
	c = socket(AF_INET, SOCK_STREAM, protocol);
	EXPECT_EQ(-1, sendto(c, "z", 1, MSG_FASTOPEN, SA(to), sizeof(to)));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(c);
	undo(H(SOCKET_CONNECT), fd);
	c = socket(AF_INET, SOCK_STREAM, protocol);
	EXPECT_EQ(0, connect(c, SA(to), sizeof(to)));
	close(c);
	close(accept(l, NULL, NULL));
	c = socket(AF_INET, SOCK_STREAM, protocol);
	EXPECT_EQ(1, sendto(c, "z", 1, MSG_FASTOPEN, SA(to), sizeof(to)));
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s);
	EXPECT_EQ(1, recv(s, &ch, 1, 0));
	EXPECT_EQ('z', ch);
	close(s);
	close(c);
	close(l);
}

TEST(mptcp_connect_and_fastopen_meet_socket_connect)
{
	connect_policy(_metadata, IPPROTO_MPTCP);
}

TEST(tcp_fastopen_meets_socket_connect)
{
	connect_policy(_metadata, IPPROTO_TCP);
}

/*
 * socket_sendmsg's context of an MPTCP Fast Open is TCP's: it connects
 * (CHECMATE_SOCK_F_CONNECTS) to msg_name, port included.
 */
TEST(mptcp_fastopen_sendmsg_context)
{
	struct sockaddr_in to;
	struct record r;
	int port, l, c, fd, map;

	l = stream_listener(_metadata, IPPROTO_MPTCP, &port);
	ASSERT_LE(0, l);
	to = sin4(1, port);
	map = record_map();
	ASSERT_LE(0, map);
	fd = copy_if(H(SOCKET_SENDMSG), map, sizeof(struct checmate_sock_ctx), -1, 0);
	ASSERT_LE(0, fd);
	c = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	EXPECT_EQ(1, sendto(c, "z", 1, MSG_FASTOPEN, SA(to), sizeof(to)));
	undo(H(SOCKET_SENDMSG), fd);
	r = read_record(map);
	EXPECT_LE(1, r.runs);
	EXPECT_EQ(IPPROTO_MPTCP, r.ctx.protocol);
	EXPECT_EQ(AF_INET, r.ctx.family);
	EXPECT_EQ(port, r.ctx.remote_port);
	EXPECT_EQ(LO(1), r.ctx.remote_ip4);
	EXPECT_EQ(F(REMOTE) | F(PORTS) | F(MSG_NAME) | F(CONNECTS), r.ctx.info);
	close(c);
	close(map);
	close(l);
}

/* ---- io_uring ---- */

FIXTURE(uring) {
	struct io_uring ring;
	char dir[64];
};

FIXTURE_SETUP(uring)
{
	int ret = io_uring_queue_init(8, &self->ring, 0);

	/* kernel.io_uring_disabled */
	if (ret == -EPERM)
		SKIP(return, "io_uring disabled");
	ASSERT_EQ(0, ret);
	snprintf(self->dir, sizeof(self->dir), "/tmp/cm_paths.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(uring)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	io_uring_queue_exit(&self->ring);
}

/* Submit the prepared SQE, @flags set (IOSQE_ASYNC: an io-wq worker runs it). */
static int uring_run(struct io_uring *ring, struct io_uring_sqe *sqe, int flags)
{
	struct io_uring_cqe *cqe;
	int res;

	io_uring_sqe_set_flags(sqe, flags);
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return -10000;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static const int uring_flags[] = { 0, IOSQE_ASYNC };

TEST_F(uring, connect)
{
	struct io_uring_sqe *sqe;
	struct sockaddr_in to;
	int port, l, c, fd;

	l = stream_listener(_metadata, IPPROTO_TCP, &port);
	ASSERT_LE(0, l);
	to = sin4(1, port);
	for (int i = 0; i < 2; i++) {
		fd = deny_if(H(SOCKET_CONNECT), OFF(remote_port), port);
		ASSERT_LE(0, fd);
		c = socket(AF_INET, SOCK_STREAM, 0);
		sqe = io_uring_get_sqe(&self->ring);
		io_uring_prep_connect(sqe, c, SA(to), sizeof(to));
		EXPECT_EQ(-DENY_ERRNO, uring_run(&self->ring, sqe, uring_flags[i]));
		close(c);
		undo(H(SOCKET_CONNECT), fd);
		c = socket(AF_INET, SOCK_STREAM, 0);
		sqe = io_uring_get_sqe(&self->ring);
		io_uring_prep_connect(sqe, c, SA(to), sizeof(to));
		EXPECT_EQ(0, uring_run(&self->ring, sqe, uring_flags[i]));
		close(c);
		close(accept(l, NULL, NULL));
	}
	close(l);
}

/* A UDP sendmsg with msg_name meets socket_sendmsg with that address. */
TEST_F(uring, sendmsg)
{
	struct sockaddr_in to = sin4(1, 0);
	struct iovec iov = { .iov_base = "u", .iov_len = 1 };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	struct io_uring_sqe *sqe;
	int r, s, fd, port;
	char ch;

	r = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, bind(r, SA(to), sizeof(to)));
	port = port_of(r);
	to = sin4(1, port);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 2; i++) {
		fd = deny_if(H(SOCKET_SENDMSG), OFF(remote_port), port);
		ASSERT_LE(0, fd);
		sqe = io_uring_get_sqe(&self->ring);
		io_uring_prep_sendmsg(sqe, s, &msg, 0);
		EXPECT_EQ(-DENY_ERRNO, uring_run(&self->ring, sqe, uring_flags[i]));
		undo(H(SOCKET_SENDMSG), fd);
		sqe = io_uring_get_sqe(&self->ring);
		io_uring_prep_sendmsg(sqe, s, &msg, 0);
		EXPECT_EQ(1, uring_run(&self->ring, sqe, uring_flags[i]));
		EXPECT_EQ(1, recv(r, &ch, 1, 0));
	}
	close(s);
	close(r);
}

/*
 * OPENAT with O_CREAT of a new name crosses path_mknod, inode_create and
 * file_open, as open(2) does (do_filp_open()); each denies it.
 */
TEST_F(uring, openat_creat)
{
	static const unsigned int hooks[] = { H(PATH_MKNOD), H(INODE_CREATE), H(FILE_OPEN) };
	struct io_uring_sqe *sqe;
	char path[128];
	struct stat st;
	int fd, res;

	for (int i = 0; i < 2; i++) {
		for (unsigned int h = 0; h < ARRAY_LEN(hooks); h++) {
			snprintf(path, sizeof(path), "%s/f%d%u", self->dir, i, h);
			fd = deny_all(hooks[h]);
			ASSERT_LE(0, fd);
			sqe = io_uring_get_sqe(&self->ring);
			io_uring_prep_openat(sqe, AT_FDCWD, path, O_CREAT | O_WRONLY, 0600);
			res = uring_run(&self->ring, sqe, uring_flags[i]);
			undo(hooks[h], fd);
			EXPECT_EQ(-DENY_ERRNO, res) TH_LOG("hook %u, flags %d", hooks[h], i);
			if (res >= 0)
				close(res);
			/* file_open comes after the file is made. */
			EXPECT_EQ(hooks[h] == H(FILE_OPEN) ? 0 : -1, stat(path, &st));
			unlink(path);
			sqe = io_uring_get_sqe(&self->ring);
			io_uring_prep_openat(sqe, AT_FDCWD, path, O_CREAT | O_WRONLY, 0600);
			res = uring_run(&self->ring, sqe, uring_flags[i]);
			EXPECT_LE(0, res);
			if (res >= 0)
				close(res);
			EXPECT_EQ(0, stat(path, &st));
		}
	}
}

TEST_F(uring, mkdirat)
{
	struct io_uring_sqe *sqe;
	char path[128];
	struct stat st;
	int fd;

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/d%d", self->dir, i);
		fd = deny_all(H(PATH_MKDIR));
		ASSERT_LE(0, fd);
		sqe = io_uring_get_sqe(&self->ring);
		io_uring_prep_mkdirat(sqe, AT_FDCWD, path, 0700);
		EXPECT_EQ(-DENY_ERRNO, uring_run(&self->ring, sqe, uring_flags[i]));
		undo(H(PATH_MKDIR), fd);
		EXPECT_EQ(-1, stat(path, &st));
		sqe = io_uring_get_sqe(&self->ring);
		io_uring_prep_mkdirat(sqe, AT_FDCWD, path, 0700);
		EXPECT_EQ(0, uring_run(&self->ring, sqe, uring_flags[i]));
		EXPECT_EQ(0, stat(path, &st));
	}
}

/* ---- overlayfs ---- */

FIXTURE(overlay) {
	char root[64], merged[96], upper[96];
	int mounted;
};

FIXTURE_SETUP(overlay)
{
	char lower[96], work[96], opts[400];

	self->mounted = 0;
	snprintf(self->root, sizeof(self->root), "/tmp/cm_ovl.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	ASSERT_EQ(0, mount("tmpfs", self->root, "tmpfs", 0, NULL));
	self->mounted = 1;
	snprintf(lower, sizeof(lower), "%s/lower", self->root);
	snprintf(self->upper, sizeof(self->upper), "%s/upper", self->root);
	snprintf(work, sizeof(work), "%s/work", self->root);
	snprintf(self->merged, sizeof(self->merged), "%s/merged", self->root);
	ASSERT_EQ(0, mkdir(lower, 0755));
	ASSERT_EQ(0, mkdir(self->upper, 0755));
	ASSERT_EQ(0, mkdir(work, 0755));
	ASSERT_EQ(0, mkdir(self->merged, 0755));
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower,
		 self->upper, work);
	if (mount("overlay", self->merged, "overlay", 0, opts)) {
		if (errno == ENODEV)
			SKIP(return, "no overlayfs");
		ASSERT_EQ(0, errno);
	}
	self->mounted = 2;
}

FIXTURE_TEARDOWN(overlay)
{
	if (self->mounted > 1)
		umount(self->merged);
	if (self->mounted)
		umount(self->root);
	rmdir(self->root);
}

/*
 * On an overlay, path_mknod and path_mkdir (what samples/file_rate_limit
 * counts) are crossed once per open(O_CREAT) and mkdir(): overlayfs makes
 * the upper file with vfs_create() and vfs_mkdir(), which cross no path
 * hook. inode_create is crossed twice per new file: for the overlay inode
 * (may_o_create()) and for the upper filesystem's (vfs_create()).
 */
TEST_F(overlay, one_path_event_per_creation)
{
	int mknod_map, mkdir_map, create_map, fds[3];
	char path[160];
	struct stat st;

	mknod_map = count_map();
	mkdir_map = count_map();
	create_map = count_map();
	ASSERT_LE(0, mknod_map);
	ASSERT_LE(0, mkdir_map);
	ASSERT_LE(0, create_map);
	fds[0] = copy_if(H(PATH_MKNOD), mknod_map, 0, -1, 0);
	fds[1] = copy_if(H(PATH_MKDIR), mkdir_map, 0, -1, 0);
	fds[2] = copy_if(H(INODE_CREATE), create_map, 0, -1, 0);
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	ASSERT_LE(0, fds[2]);
	for (int i = 0; i < 3; i++) {
		int f;

		snprintf(path, sizeof(path), "%s/file%d", self->merged, i);
		f = open(path, O_CREAT | O_WRONLY, 0644);
		EXPECT_LE(0, f);
		close(f);
		snprintf(path, sizeof(path), "%s/dir%d", self->merged, i);
		EXPECT_EQ(0, mkdir(path, 0755));
	}
	undo(H(PATH_MKNOD), fds[0]);
	undo(H(PATH_MKDIR), fds[1]);
	undo(H(INODE_CREATE), fds[2]);
	EXPECT_EQ(3, read_count(mknod_map));
	EXPECT_EQ(3, read_count(mkdir_map));
	EXPECT_EQ(6, read_count(create_map));
	/* They were made in the upper layer. */
	snprintf(path, sizeof(path), "%s/file2", self->upper);
	EXPECT_EQ(0, stat(path, &st));
	snprintf(path, sizeof(path), "%s/dir2", self->upper);
	EXPECT_EQ(0, stat(path, &st));
	close(mknod_map);
	close(mkdir_map);
	close(create_map);
}

/* A deny program on path_mknod or path_mkdir refuses them on the overlay. */
TEST_F(overlay, deny_applies)
{
	char path[160];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/denied", self->merged);
	fd = deny_all(H(PATH_MKNOD));
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, open(path, O_CREAT | O_WRONLY, 0644));
	EXPECT_EQ(DENY_ERRNO, errno);
	undo(H(PATH_MKNOD), fd);
	fd = deny_all(H(PATH_MKDIR));
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, mkdir(path, 0755));
	EXPECT_EQ(DENY_ERRNO, errno);
	undo(H(PATH_MKDIR), fd);
	EXPECT_EQ(-1, stat(path, &st));
	snprintf(path, sizeof(path), "%s/denied", self->upper);
	EXPECT_EQ(-1, stat(path, &st));
}

TEST_HARNESS_MAIN
