// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the socket contexts hold what the kernel does.
 *
 * Real sockets on loopback. A "copy" program copies its whole context into
 * a map; the tests compare it field by field with what the kernel reports
 * for the same operation (getsockname, getpeername, the source recvfrom
 * sees), and check the outcome a policy relies on: the port really bound,
 * where the data arrived, whether a connection was accepted. The sample
 * policies are loaded with checmatectl and tried with each way of sending
 * or binding their headers name.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif

#define H(x) CHECMATE_HOOK_##x
#define OFF(f) offsetof(struct checmate_sock_ctx, f)
#define F(x) CHECMATE_SOCK_F_##x
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)

/* What a copy program stores: the context and how many times it ran. */
struct record {
	struct checmate_sock_ctx ctx;
	__u64 runs;
};

static int make_record_map(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = sizeof(struct record);
	attr.max_entries = 1;
	return sys_bpf(BPF_MAP_CREATE, &attr);
}

static int read_record(int map, struct record *r)
{
	union bpf_attr attr;
	__u32 key = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)r;
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
}

static int clear_record(int map)
{
	struct record r;
	union bpf_attr attr;
	__u32 key = 0;

	memset(&r, 0, sizeof(r));
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&r;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &attr);
}

/*
 * A program that, when the caller's tgid is @tgid (unless 0) and the u32
 * context field at @off is @val (unless @off < 0), copies the context into
 * @map and counts the run; it returns @ret then, 0 otherwise.
 */
static int load_copy(unsigned int hook, int map, int tgid, int off, int val, int ret)
{
	struct bpf_insn insns[64];
	int n = 0, skip[4], nskip = 0;

	insns[n++] = MOV64_REG(6, 1);
	if (tgid) {
		insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
		insns[n++] = RSH64_IMM(0, 32);
		skip[nskip++] = n;
		insns[n++] = JNE_IMM(0, tgid, 0);
	}
	if (off >= 0) {
		insns[n++] = LDX_MEM(BPF_W, 2, 6, off);
		skip[nskip++] = n;
		insns[n++] = JNE_IMM(2, val, 0);
	}
	n = emit_copy_tail(insns, n, map, sizeof(struct checmate_sock_ctx),
			   offsetof(struct record, runs), ret, skip, nskip);
	return load_prog(hook, insns, n);
}

static __u64 netns_cookie(int s)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);

	getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len);
	return cookie;
}

static struct sockaddr_in sin4(__u32 addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(addr);
	return sin;
}

/* ::ffff:a.b.c.d */
static struct sockaddr_in6 mapped(__u32 addr, int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	sin6.sin6_addr.s6_addr32[2] = htonl(0xffff);
	sin6.sin6_addr.s6_addr32[3] = htonl(addr);
	return sin6;
}

static struct sockaddr_in6 lo6(int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	return sin6;
}

#define SA(x) ((struct sockaddr *)&(x))
#define LO INADDR_LOOPBACK

/* A port nothing is bound to now, for @type on IPv4 and IPv6. */
static int free_port(int type)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof(sin6);
	int s = socket(AF_INET6, type, 0), port = -1;

	if (!bind(s, SA(sin6), sizeof(sin6)) && !getsockname(s, SA(sin6), &len))
		port = ntohs(sin6.sin6_port);
	close(s);
	return port;
}

static int port_of(int s)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);

	if (getsockname(s, SA(sa), &len))
		return -1;
	return ntohs(sa.sin6_port);	/* same offset in sockaddr_in */
}

/*
 * The expected context for an address as the kernel reports it: an
 * AF_INET one, or an AF_INET6 one, v4-mapped or not, into local or remote.
 */
static void expect_addr(struct checmate_sock_ctx *e, const void *sa, int remote)
{
	const struct sockaddr_in *s4 = sa;
	const struct sockaddr_in6 *s6 = sa;
	__u32 *ip4 = remote ? &e->remote_ip4 : &e->local_ip4;
	__u32 *ip6 = remote ? e->remote_ip6 : e->local_ip6;
	__u32 *port = remote ? &e->remote_port : &e->local_port;

	*port = ntohs(s4->sin_port);
	if (s4->sin_family == AF_INET) {
		e->family = AF_INET;
		*ip4 = s4->sin_addr.s_addr;
	} else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		e->family = AF_INET;
		*ip4 = s6->sin6_addr.s6_addr32[3];
	} else {
		e->family = AF_INET6;
		memcpy(ip6, &s6->sin6_addr, 16);
	}
}

static void expect_sockname(struct checmate_sock_ctx *e, int s, int remote)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	if (remote)
		getpeername(s, SA(sa), &len);
	else
		getsockname(s, SA(sa), &len);
	expect_addr(e, &sa, remote);
}

/* Every field of the context: name, offset, size. */
#define F32(f) { #f, offsetof(struct checmate_sock_ctx, f), 4 }
#define F64(f) { #f, offsetof(struct checmate_sock_ctx, f), 8 }
static const struct {
	const char *name;
	size_t off, size;
} ctx_fields[] = {
	F32(family), F32(type), F32(protocol), F32(local_port), F32(remote_port),
	F32(local_ip4), F32(remote_ip4),
	F32(local_ip6[0]), F32(local_ip6[1]), F32(local_ip6[2]), F32(local_ip6[3]),
	F32(remote_ip6[0]), F32(remote_ip6[1]), F32(remote_ip6[2]), F32(remote_ip6[3]),
	F32(arg), F32(flags), F32(sock_family), F32(info), F32(transport),
	F64(cgroup_id), F64(netns_cookie),
};

/* Compare every field; logs the ones that differ. */
static int ctx_differs(struct __test_metadata *_metadata, const char *what,
		       const struct checmate_sock_ctx *got,
		       const struct checmate_sock_ctx *exp)
{
	int bad = 0;

	for (unsigned int i = 0; i < ARRAY_LEN(ctx_fields); i++) {
		unsigned long long g = 0, e = 0;

		memcpy(&g, (const char *)got + ctx_fields[i].off, ctx_fields[i].size);
		memcpy(&e, (const char *)exp + ctx_fields[i].off, ctx_fields[i].size);
		if (g != e) {
			TH_LOG("%s: %s is %llu (%#llx), expected %llu (%#llx)",
			       what, ctx_fields[i].name, g, g, e, e);
			bad++;
		}
	}
	return bad;
}

/* The fields every context of a socket of this process has. */
static struct checmate_sock_ctx base(int s, int family, int type, int protocol)
{
	struct checmate_sock_ctx e;

	memset(&e, 0, sizeof(e));
	e.family = family;
	e.sock_family = family;
	e.type = type;
	e.protocol = protocol;
	e.cgroup_id = own_cgroup_id();
	e.netns_cookie = netns_cookie(s);
	return e;
}

FIXTURE(oracle) {
	int map;
	int prog;
	unsigned int hook;
};

FIXTURE_SETUP(oracle)
{
	self->map = make_record_map();
	ASSERT_LE(0, self->map);
	self->prog = -1;
}

FIXTURE_TEARDOWN(oracle)
{
	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
	}
	close(self->map);
}

/* Attach a copy program to @hook for this process (or field @off == @val). */
static int oracle_on(struct __test_metadata *_metadata, struct _test_data_oracle *self,
		     unsigned int hook, int softirq, int off, int val)
{
	self->hook = hook;
	self->prog = load_copy(hook, self->map, softirq ? 0 : getpid(), off, val, 0);
	if (self->prog < 0) {
		TH_LOG("load: %s\n%s", strerror(errno), verifier_log);
		return -1;
	}
	if (clear_record(self->map) || cm_attach(hook, self->prog))
		return -1;
	return 0;
}

static int oracle_off(struct _test_data_oracle *self, struct record *r)
{
	int ret = cm_detach(self->hook, self->prog);

	close(self->prog);
	self->prog = -1;
	return ret ?: read_record(self->map, r);
}

TEST_F(oracle, socket_create)
{
	struct checmate_sock_ctx e;
	struct record r;
	int s;

	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_CREATE), 0, -1, 0));
	s = socket(AF_INET6, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, oracle_off(self, &r));
	EXPECT_EQ(1, r.runs);
	e = base(s, AF_INET6, SOCK_STREAM, 0);
	EXPECT_EQ(0, ctx_differs(_metadata, "socket_create", &r.ctx, &e));
	close(s);
}

TEST_F(oracle, socket_bind)
{
	struct sockaddr_in sin = sin4(LO, free_port(SOCK_DGRAM));
	struct checmate_sock_ctx e;
	struct record r;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_BIND), 0, -1, 0));
	ASSERT_EQ(0, bind(s, SA(sin), sizeof(sin)));
	ASSERT_EQ(0, oracle_off(self, &r));
	e = base(s, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	expect_sockname(&e, s, 0);
	e.info = F(LOCAL) | F(PORTS);
	EXPECT_EQ(0, ctx_differs(_metadata, "bind", &r.ctx, &e));
	close(s);
}

/* Dual stack: a v4-mapped bind on AF_INET6 is an IPv4 bind. */
TEST_F(oracle, socket_bind_v4mapped)
{
	struct sockaddr_in6 sin6 = mapped(LO, free_port(SOCK_DGRAM));
	struct checmate_sock_ctx e;
	struct record r;
	int s = socket(AF_INET6, SOCK_DGRAM, 0);

	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_BIND), 0, -1, 0));
	ASSERT_EQ(0, bind(s, SA(sin6), sizeof(sin6)));
	ASSERT_EQ(0, oracle_off(self, &r));
	e = base(s, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	expect_sockname(&e, s, 0);
	EXPECT_EQ(AF_INET, e.family);
	e.info = F(LOCAL) | F(PORTS);
	EXPECT_EQ(0, ctx_differs(_metadata, "bind mapped", &r.ctx, &e));
	close(s);
}

/* connect(): remote = getpeername() after it, local = getsockname() before. */
static void connect_case(struct __test_metadata *_metadata, struct _test_data_oracle *self,
			 int family, int type, int protocol, const void *to,
			 socklen_t len, const char *what)
{
	struct checmate_sock_ctx e;
	struct record r;
	int s = socket(family, type, 0);

	ASSERT_LE(0, s);
	e = base(s, family, type, protocol);
	expect_sockname(&e, s, 0);
	e.family = family;
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_CONNECT), 0, -1, 0));
	ASSERT_EQ(0, connect(s, to, len));
	ASSERT_EQ(0, oracle_off(self, &r));
	expect_sockname(&e, s, 1);
	if (e.family == AF_INET) {
		/* The unbound local address of an AF_INET6 socket, as IPv4. */
		memset(e.local_ip6, 0, sizeof(e.local_ip6));
	}
	e.info = F(REMOTE) | F(PORTS);
	EXPECT_EQ(0, ctx_differs(_metadata, what, &r.ctx, &e));
	close(s);
}

TEST_F(oracle, socket_connect)
{
	struct sockaddr_in sin = sin4(LO, 4242);
	struct sockaddr_in6 sin6 = lo6(4242);

	connect_case(_metadata, self, AF_INET, SOCK_DGRAM, IPPROTO_UDP, &sin, sizeof(sin),
		     "udp4");
	connect_case(_metadata, self, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, &sin6, sizeof(sin6),
		     "udp6");
}

/* Dual stack: connect to ::ffff:127.0.0.1 is IPv4, TCP and UDP. */
TEST_F(oracle, socket_connect_v4mapped)
{
	struct sockaddr_in l4 = sin4(LO, free_port(SOCK_STREAM));
	struct sockaddr_in6 to = mapped(LO, ntohs(l4.sin_port));
	int l = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_EQ(0, bind(l, SA(l4), sizeof(l4)));
	ASSERT_EQ(0, listen(l, 4));
	connect_case(_metadata, self, AF_INET6, SOCK_STREAM, IPPROTO_TCP, &to, sizeof(to),
		     "tcp6 mapped");
	connect_case(_metadata, self, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, &to, sizeof(to),
		     "udp6 mapped");
	close(l);
}

/*
 * AF_INET on an AF_INET6 datagram socket is IPv4; the unspecified
 * address is where the kernel really connects (loopback).
 */
TEST_F(oracle, socket_connect_compat)
{
	struct sockaddr_in l4 = sin4(LO, free_port(SOCK_STREAM));
	struct sockaddr_in any4 = sin4(INADDR_ANY, ntohs(l4.sin_port));
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = htons(4242) };
	struct sockaddr_in to = sin4(LO, 4242);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_EQ(0, bind(l, SA(l4), sizeof(l4)));
	ASSERT_EQ(0, listen(l, 4));
	connect_case(_metadata, self, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, &to, sizeof(to),
		     "udp6 AF_INET");
	connect_case(_metadata, self, AF_INET, SOCK_STREAM, IPPROTO_TCP, &any4, sizeof(any4),
		     "tcp4 0.0.0.0");
	connect_case(_metadata, self, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, &any6, sizeof(any6),
		     "udp6 ::");
	close(l);
}

/* connect(AF_UNSPEC) dissolves the association: no remote address. */
TEST_F(oracle, socket_connect_unspec)
{
	struct sockaddr_in sin = sin4(LO, 4242);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct checmate_sock_ctx e;
	struct record r;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_EQ(0, connect(s, SA(sin), sizeof(sin)));
	e = base(s, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	expect_sockname(&e, s, 0);
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_CONNECT), 0, -1, 0));
	ASSERT_EQ(0, connect(s, &unspec, sizeof(unspec)));
	ASSERT_EQ(0, oracle_off(self, &r));
	e.info = F(LOCAL) | F(PORTS) | F(DISCONNECT);
	EXPECT_EQ(0, ctx_differs(_metadata, "disconnect", &r.ctx, &e));
	close(s);
}

TEST_F(oracle, socket_listen_accept)
{
	struct sockaddr_in sin = sin4(LO, 0);
	struct checmate_sock_ctx e;
	struct record r;
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), a;
	socklen_t len = sizeof(sin);

	ASSERT_EQ(0, bind(l, SA(sin), sizeof(sin)));
	e = base(l, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	expect_sockname(&e, l, 0);
	e.info = F(LOCAL) | F(PORTS);
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_LISTEN), 0, -1, 0));
	ASSERT_EQ(0, listen(l, 5));
	ASSERT_EQ(0, oracle_off(self, &r));
	e.arg = 5;
	EXPECT_EQ(0, ctx_differs(_metadata, "listen", &r.ctx, &e));
	ASSERT_EQ(0, getsockname(l, SA(sin), &len));
	ASSERT_EQ(0, connect(c, SA(sin), sizeof(sin)));
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_ACCEPT), 0, -1, 0));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, oracle_off(self, &r));
	e.arg = 0;
	EXPECT_EQ(0, ctx_differs(_metadata, "accept", &r.ctx, &e));
	close(a);
	close(c);
	close(l);
}

/* Where a datagram goes and where it arrives, in one. */
TEST_F(oracle, socket_sendmsg_recvmsg)
{
	struct sockaddr_in rs = sin4(LO, 0), ss = sin4(LO, 0), from;
	struct checmate_sock_ctx e;
	struct record r;
	socklen_t len = sizeof(rs);
	int rcv = socket(AF_INET, SOCK_DGRAM, 0), snd = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[8];

	ASSERT_EQ(0, bind(rcv, SA(rs), sizeof(rs)));
	ASSERT_EQ(0, bind(snd, SA(ss), sizeof(ss)));
	ASSERT_EQ(0, getsockname(rcv, SA(rs), &len));
	ASSERT_EQ(0, getsockname(snd, SA(ss), &len));
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SENDMSG), 0, -1, 0));
	ASSERT_EQ(3, sendto(snd, "abc", 3, 0, SA(rs), sizeof(rs)));
	ASSERT_EQ(0, oracle_off(self, &r));
	e = base(snd, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	expect_sockname(&e, snd, 0);
	expect_addr(&e, &rs, 1);
	e.arg = 3;
	e.info = F(LOCAL) | F(REMOTE) | F(PORTS) | F(MSG_NAME);
	EXPECT_EQ(0, ctx_differs(_metadata, "sendto", &r.ctx, &e));
	/* recvmsg on a connected socket: its own addresses, size, flags. */
	ASSERT_EQ(0, connect(rcv, SA(ss), sizeof(ss)));
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_RECVMSG), 0, -1, 0));
	len = sizeof(from);
	ASSERT_EQ(3, recvfrom(rcv, buf, sizeof(buf), MSG_DONTWAIT, SA(from), &len));
	ASSERT_EQ(0, oracle_off(self, &r));
	e = base(rcv, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	expect_sockname(&e, rcv, 0);
	expect_addr(&e, &from, 1);
	e.arg = sizeof(buf);
	e.flags = MSG_DONTWAIT;
	e.info = F(LOCAL) | F(REMOTE) | F(PORTS);
	EXPECT_EQ(0, ctx_differs(_metadata, "recvmsg", &r.ctx, &e));
	close(rcv);
	close(snd);
}

/* A packet received: remote = the source recvfrom() sees. */
static void rcv_case(struct __test_metadata *_metadata, struct _test_data_oracle *self,
		     int rfamily, int sfamily, int ipopts, const char *what)
{
	/* IPv4 options: NOP, NOP, NOP, end (4 bytes: ihl 6). */
	static const unsigned char opts[4] = { 1, 1, 1, 0 };
	struct sockaddr_in6 rs = { .sin6_family = AF_INET6 }, from, to;
	struct checmate_sock_ctx e;
	struct record r;
	socklen_t len = sizeof(rs);
	int rcv = socket(rfamily, SOCK_DGRAM, 0), snd = socket(sfamily, SOCK_DGRAM, 0);
	char buf[8];

	memset(&to, 0, sizeof(to));
	if (rfamily == AF_INET) {
		*(struct sockaddr_in *)&rs = sin4(LO, 0);
		len = sizeof(struct sockaddr_in);
	}
	ASSERT_EQ(0, bind(rcv, SA(rs), len));
	ASSERT_EQ(0, getsockname(rcv, SA(rs), &len));
	if (sfamily == AF_INET) {
		*(struct sockaddr_in *)&to = sin4(LO, ntohs(rs.sin6_port));
		len = sizeof(struct sockaddr_in);
	} else {
		to = lo6(ntohs(rs.sin6_port));
		len = sizeof(to);
	}
	if (ipopts)
		ASSERT_EQ(0, setsockopt(snd, IPPROTO_IP, IP_OPTIONS, opts, sizeof(opts)));
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SOCK_RCV_SKB), 1, OFF(local_port),
			       ntohs(rs.sin6_port)));
	ASSERT_EQ(3, sendto(snd, "abc", 3, 0, SA(to), len));
	len = sizeof(from);
	ASSERT_EQ(3, recvfrom(rcv, buf, sizeof(buf), MSG_DONTWAIT, SA(from), &len));
	ASSERT_EQ(0, oracle_off(self, &r));
	EXPECT_EQ(1, r.runs);
	e = base(rcv, rfamily, SOCK_DGRAM, IPPROTO_UDP);
	expect_addr(&e, &to, 0);
	expect_addr(&e, &from, 1);
	e.transport = IPPROTO_UDP;
	e.info = F(LOCAL) | F(REMOTE) | F(PORTS);
	EXPECT_EQ(0, ctx_differs(_metadata, what, &r.ctx, &e));
	close(rcv);
	close(snd);
}

TEST_F(oracle, socket_sock_rcv_skb)
{
	rcv_case(_metadata, self, AF_INET, AF_INET, 0, "udp4");
	rcv_case(_metadata, self, AF_INET, AF_INET, 1, "udp4 with IP options");
	rcv_case(_metadata, self, AF_INET6, AF_INET6, 0, "udp6");
	/* Dual stack: IPv4 on an AF_INET6 socket is AF_INET. */
	rcv_case(_metadata, self, AF_INET6, AF_INET, 0, "udp4 on [::]");
}

/* A SYN to a listener of @lfamily from a client of @cfamily. */
static void conn_request_case(struct __test_metadata *_metadata,
			      struct _test_data_oracle *self, int lfamily, int cfamily,
			      const char *what)
{
	struct sockaddr_in6 ls = { .sin6_family = AF_INET6 }, to, peer;
	struct checmate_sock_ctx e;
	struct record r;
	socklen_t len = sizeof(ls);
	int l = socket(lfamily, SOCK_STREAM, 0), c = socket(cfamily, SOCK_STREAM, 0), a;

	memset(&to, 0, sizeof(to));
	if (lfamily == AF_INET) {
		*(struct sockaddr_in *)&ls = sin4(LO, 0);
		len = sizeof(struct sockaddr_in);
	}
	ASSERT_EQ(0, bind(l, SA(ls), len));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, getsockname(l, SA(ls), &len));
	if (cfamily == AF_INET) {
		*(struct sockaddr_in *)&to = sin4(LO, ntohs(ls.sin6_port));
		len = sizeof(struct sockaddr_in);
	} else {
		to = lo6(ntohs(ls.sin6_port));
		len = sizeof(to);
	}
	ASSERT_EQ(0, oracle_on(_metadata, self, H(INET_CONN_REQUEST), 1, OFF(local_port),
			       ntohs(ls.sin6_port)));
	ASSERT_EQ(0, connect(c, SA(to), len));
	len = sizeof(peer);
	a = accept(l, SA(peer), &len);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, oracle_off(self, &r));
	EXPECT_EQ(1, r.runs);
	e = base(l, lfamily, SOCK_STREAM, IPPROTO_TCP);
	expect_sockname(&e, a, 0);
	expect_addr(&e, &peer, 1);
	e.transport = IPPROTO_TCP;
	e.info = F(LOCAL) | F(REMOTE) | F(PORTS);
	EXPECT_EQ(0, ctx_differs(_metadata, what, &r.ctx, &e));
	close(a);
	close(c);
	close(l);
}

TEST_F(oracle, inet_conn_request)
{
	conn_request_case(_metadata, self, AF_INET, AF_INET, "tcp4");
	conn_request_case(_metadata, self, AF_INET6, AF_INET6, "tcp6");
	/* Dual stack: an IPv4 SYN on a [::] listener is AF_INET. */
	conn_request_case(_metadata, self, AF_INET6, AF_INET, "tcp4 on [::]");
}

/* Fault 1: AF_UNSPEC + INADDR_ANY at bind on AF_INET binds AF_INET. */
static int load_port_map(int from, int to)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, 2, 1, OFF(local_port)),
		JNE_IMM(2, from, 1),
		ST_MEM(BPF_W, 1, OFF(local_port), to),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(H(SOCKET_BIND), insns, ARRAY_LEN(insns));
}

TEST(bind_af_unspec_is_af_inet)
{
	int from = free_port(SOCK_STREAM), to = free_port(SOCK_DGRAM);
	struct sockaddr_in sin = sin4(INADDR_ANY, from);
	int prog = load_port_map(from, to), s = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	ASSERT_NE(from, to);
	sin.sin_family = AF_UNSPEC;
	ASSERT_EQ(0, cm_attach(H(SOCKET_BIND), prog));
	EXPECT_EQ(0, bind(s, SA(sin), sizeof(sin)));
	/* The port the socket really has. */
	EXPECT_EQ(to, port_of(s));
	ASSERT_EQ(0, cm_detach(H(SOCKET_BIND), prog));
	close(s);
	close(prog);
}

/* Fault 2: TCP ignores msg_name: the data goes to the peer. */
TEST(tcp_sendto_goes_to_the_peer)
{
	struct sockaddr_in a = sin4(LO, 0), b = sin4(LO, 0);
	socklen_t len = sizeof(a);
	int la = socket(AF_INET, SOCK_STREAM, 0), lb = socket(AF_INET, SOCK_STREAM, 0);
	int c = socket(AF_INET, SOCK_STREAM, 0), s, deny_b, deny_a;
	char ch = 0;

	ASSERT_EQ(0, bind(la, SA(a), sizeof(a)));
	ASSERT_EQ(0, bind(lb, SA(b), sizeof(b)));
	ASSERT_EQ(0, listen(la, 2));
	ASSERT_EQ(0, listen(lb, 2));
	ASSERT_EQ(0, getsockname(la, SA(a), &len));
	ASSERT_EQ(0, getsockname(lb, SA(b), &len));
	ASSERT_EQ(0, connect(c, SA(a), sizeof(a)));
	s = accept(la, NULL, NULL);
	ASSERT_LE(0, s);
	deny_b = load_deny_if(H(SOCKET_SENDMSG), getpid(), OFF(remote_port), 4,
			      ntohs(b.sin_port), DENY_ERRNO);
	deny_a = load_deny_if(H(SOCKET_SENDMSG), getpid(), OFF(remote_port), 4,
			      ntohs(a.sin_port), DENY_ERRNO);
	ASSERT_LE(0, deny_b);
	ASSERT_LE(0, deny_a);
	/* A policy refusing B does not stop data that goes to A... */
	ASSERT_EQ(0, cm_attach(H(SOCKET_SENDMSG), deny_b));
	EXPECT_EQ(1, sendto(c, "x", 1, 0, SA(b), sizeof(b)));
	EXPECT_EQ(1, recv(s, &ch, 1, 0));
	EXPECT_EQ('x', ch);
	ASSERT_EQ(0, cm_detach(H(SOCKET_SENDMSG), deny_b));
	/* ...and one refusing A stops it, whatever msg_name says. */
	ASSERT_EQ(0, cm_attach(H(SOCKET_SENDMSG), deny_a));
	EXPECT_EQ(-1, sendto(c, "y", 1, 0, SA(b), sizeof(b)));
	EXPECT_EQ(DENY_ERRNO, errno);
	ASSERT_EQ(0, cm_detach(H(SOCKET_SENDMSG), deny_a));
	close(deny_a);
	close(deny_b);
	close(s);
	close(c);
	close(la);
	close(lb);
}

/* Fault 2: sendto(MSG_FASTOPEN) on an unconnected TCP socket connects. */
TEST_F(oracle, tcp_fastopen_sendto_connects)
{
	struct sockaddr_in a = sin4(LO, 0);
	struct checmate_sock_ctx e;
	struct record r;
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;
	char ch = 0;

	ASSERT_EQ(0, bind(l, SA(a), sizeof(a)));
	ASSERT_EQ(0, listen(l, 2));
	ASSERT_EQ(0, getsockname(l, SA(a), &len));
	e = base(c, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SENDMSG), 0, -1, 0));
	EXPECT_EQ(1, sendto(c, "z", 1, MSG_FASTOPEN, SA(a), sizeof(a)));
	ASSERT_EQ(0, oracle_off(self, &r));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(1, recv(s, &ch, 1, 0));
	EXPECT_EQ('z', ch);
	expect_sockname(&e, c, 1);
	e.arg = 1;
	e.info = F(REMOTE) | F(PORTS) | F(MSG_NAME) | F(CONNECTS);
	EXPECT_EQ(0, ctx_differs(_metadata, "fastopen", &r.ctx, &e));
	close(s);
	close(c);
	close(l);
}

/*
 * Fault 2, UDP: with a corked datagram pending (MSG_MORE), msg_name is
 * ignored: the data joins the datagram, to its destination.
 */
TEST_F(oracle, udp_corked_sendto_goes_to_the_pending_destination)
{
	struct sockaddr_in a = sin4(LO, 0), b = sin4(LO, 0);
	socklen_t len = sizeof(a);
	int ra = socket(AF_INET, SOCK_DGRAM, 0), rb = socket(AF_INET, SOCK_DGRAM, 0);
	int snd = socket(AF_INET, SOCK_DGRAM, 0);
	struct record r;
	char buf[8];

	ASSERT_EQ(0, bind(ra, SA(a), sizeof(a)));
	ASSERT_EQ(0, bind(rb, SA(b), sizeof(b)));
	ASSERT_EQ(0, getsockname(ra, SA(a), &len));
	ASSERT_EQ(0, getsockname(rb, SA(b), &len));
	ASSERT_EQ(1, sendto(snd, "a", 1, MSG_MORE, SA(a), sizeof(a)));
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SENDMSG), 0, -1, 0));
	ASSERT_EQ(1, sendto(snd, "b", 1, 0, SA(b), sizeof(b)));
	ASSERT_EQ(0, oracle_off(self, &r));
	/* Where the data arrived: one datagram "ab" at A, nothing at B. */
	EXPECT_EQ(2, recv(ra, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(rb, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ntohs(a.sin_port), r.ctx.remote_port);
	EXPECT_EQ(a.sin_addr.s_addr, r.ctx.remote_ip4);
	EXPECT_EQ(0, r.ctx.info & F(MSG_NAME));
	close(ra);
	close(rb);
	close(snd);
}

/* AF_INET msg_name on an AF_INET6 UDP socket, and v4-mapped: IPv4. */
TEST_F(oracle, udp6_sendto_ipv4)
{
	struct sockaddr_in rs = sin4(LO, 0);
	struct sockaddr_in6 m;
	struct checmate_sock_ctx e;
	struct record r;
	socklen_t len = sizeof(rs);
	int rcv = socket(AF_INET, SOCK_DGRAM, 0), snd = socket(AF_INET6, SOCK_DGRAM, 0);
	char buf[4];

	ASSERT_EQ(0, bind(rcv, SA(rs), sizeof(rs)));
	ASSERT_EQ(0, getsockname(rcv, SA(rs), &len));
	m = mapped(LO, ntohs(rs.sin_port));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SENDMSG), 0, -1, 0));
		/* AF_INET, then v4-mapped */
		ASSERT_EQ(1, sendto(snd, "a", 1, 0, i ? SA(m) : SA(rs),
				    i ? sizeof(m) : sizeof(rs)));
		ASSERT_EQ(0, oracle_off(self, &r));
		ASSERT_EQ(1, recv(rcv, buf, sizeof(buf), MSG_DONTWAIT));
		e = base(snd, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
		if (i == 1)
			expect_sockname(&e, snd, 0);
		expect_addr(&e, &rs, 1);
		memset(e.local_ip6, 0, sizeof(e.local_ip6));
		e.arg = 1;
		e.info = F(REMOTE) | F(PORTS) | F(MSG_NAME) | (i ? F(LOCAL) : 0);
		EXPECT_EQ(0, ctx_differs(_metadata, i ? "mapped" : "AF_INET", &r.ctx, &e));
	}
	close(rcv);
	close(snd);
}

/*
 * Fault 4: a Hop-by-Hop header does not hide the ports: a program denying
 * local_port 9005 at inet_conn_request stops the connection.
 */
static int set_hopopts(int s)
{
	/* Next header (set by the kernel), length 0, PadN of 4 zero bytes. */
	static const unsigned char hbh[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };

	return setsockopt(s, IPPROTO_IPV6, IPV6_HOPOPTS, hbh, sizeof(hbh));
}

/* 0 if a TCP handshake to @to completes within 500 ms, else an errno. */
static int handshake6(const struct sockaddr_in6 *to, int hopopts)
{
	struct pollfd p = { .events = POLLOUT };
	int s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);

	p.fd = s;
	if (hopopts && set_hopopts(s))
		err = errno;
	else if (connect(s, (const struct sockaddr *)to, sizeof(*to)) && errno != EINPROGRESS)
		err = errno;
	else if (poll(&p, 1, 500) != 1)
		err = ETIMEDOUT;
	else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	close(s);
	return err;
}

TEST(ipv6_hopopts_do_not_hide_ports)
{
	struct sockaddr_in6 ls = lo6(9005);
	int l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0), c;
	int prog = load_deny_if(H(INET_CONN_REQUEST), 0, OFF(local_port), 4, 9005, EPERM);

	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	ASSERT_EQ(0, bind(l, SA(ls), sizeof(ls)));
	ASSERT_EQ(0, listen(l, 8));
	EXPECT_EQ(0, handshake6(&ls, 1));
	ASSERT_EQ(0, cm_attach(H(INET_CONN_REQUEST), prog));
	EXPECT_EQ(ETIMEDOUT, handshake6(&ls, 0));
	EXPECT_EQ(ETIMEDOUT, handshake6(&ls, 1));
	ASSERT_EQ(0, cm_detach(H(INET_CONN_REQUEST), prog));
	while ((c = accept(l, NULL, NULL)) >= 0)
		close(c);
	close(prog);
	close(l);
}

/* Fault 4, the context: the ports behind Hop-by-Hop and Destination options. */
TEST_F(oracle, ipv6_exthdr_ports)
{
	/* Next header, length 1 (16 bytes), PadN of 4, PadN of 6: padding runs
	 * of at most 7 bytes, as the kernel requires.
	 */
	static const unsigned char dst[16] = { 0, 1, 1, 4, 0, 0, 0, 0, 0x20, 4, 0, 0, 0, 0 };
	struct sockaddr_in6 rs = lo6(0), from;
	socklen_t len = sizeof(rs);
	struct record r;
	int rcv = socket(AF_INET6, SOCK_DGRAM, 0), snd = socket(AF_INET6, SOCK_DGRAM, 0);
	char buf[4];

	ASSERT_EQ(0, bind(rcv, SA(rs), sizeof(rs)));
	ASSERT_EQ(0, getsockname(rcv, SA(rs), &len));
	ASSERT_EQ(0, set_hopopts(snd));
	ASSERT_EQ(0, setsockopt(snd, IPPROTO_IPV6, IPV6_DSTOPTS, dst, sizeof(dst)));
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SOCK_RCV_SKB), 1, OFF(local_port),
			       ntohs(rs.sin6_port)));
	ASSERT_EQ(1, sendto(snd, "h", 1, 0, SA(rs), sizeof(rs)));
	len = sizeof(from);
	ASSERT_EQ(1, recvfrom(rcv, buf, sizeof(buf), MSG_DONTWAIT, SA(from), &len));
	ASSERT_EQ(0, oracle_off(self, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(ntohs(from.sin6_port), r.ctx.remote_port);
	EXPECT_EQ(IPPROTO_UDP, r.ctx.transport);
	EXPECT_EQ(F(LOCAL) | F(REMOTE) | F(PORTS), r.ctx.info);
	close(rcv);
	close(snd);
}

/*
 * An IPv6 routing header (segment routing, type 4) whose first hop is
 * 2001:db8::1 and last segment ::1: the packets are addressed to the first.
 */
static int set_rthdr(int s)
{
	unsigned char srh[40] = { 0, 4, 4, 1, 1 };

	srh[8 + 15] = 1;			/* segments[0] = ::1 */
	srh[24] = 0x20;				/* segments[1] = 2001:db8::1 */
	srh[25] = 0x01;
	srh[26] = 0x0d;
	srh[27] = 0xb8;
	srh[24 + 15] = 1;
	return setsockopt(s, IPPROTO_IPV6, IPV6_RTHDR, srh, sizeof(srh));
}

TEST_F(oracle, ipv6_rthdr_first_hop)
{
	struct sockaddr_in6 to = lo6(4242);
	struct record r;
	int s = socket(AF_INET6, SOCK_DGRAM, 0);

	if (set_rthdr(s))
		SKIP(return, "IPV6_RTHDR: %s", strerror(errno));
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SENDMSG), 0, -1, 0));
	sendto(s, "r", 1, 0, SA(to), sizeof(to));
	ASSERT_EQ(0, oracle_off(self, &r));
	EXPECT_EQ(AF_INET6, r.ctx.family);
	EXPECT_EQ(htonl(0x20010db8), r.ctx.remote_ip6[0]);
	EXPECT_EQ(htonl(1), r.ctx.remote_ip6[3]);
	EXPECT_EQ(4242, r.ctx.remote_port);
	close(s);
}

/*
 * Raw and ping sockets have no ports: a raw AF_UNSPEC msg_name is IPv4
 * (raw_sendmsg()), and neither sends to the port of msg_name.
 */
TEST_F(oracle, raw_and_ping_sendto)
{
	struct sockaddr_in to = sin4(LO, 4242);
	unsigned char echo[8] = { 8 };	/* ICMP echo request */
	struct checmate_sock_ctx e;
	struct record r;
	int s, fd;

	s = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	ASSERT_LE(0, s);
	to.sin_family = AF_UNSPEC;
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SENDMSG), 0, -1, 0));
	EXPECT_EQ(8, sendto(s, echo, sizeof(echo), 0, SA(to), sizeof(to)));
	ASSERT_EQ(0, oracle_off(self, &r));
	e = base(s, AF_INET, SOCK_RAW, IPPROTO_UDP);
	expect_sockname(&e, s, 0);
	e.remote_ip4 = htonl(LO);
	e.arg = sizeof(echo);
	e.info = F(LOCAL) | F(REMOTE) | F(MSG_NAME);
	EXPECT_EQ(0, ctx_differs(_metadata, "raw AF_UNSPEC", &r.ctx, &e));
	close(s);

	/* Ping sockets, for every group. */
	fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(13, write(fd, "0 2147483647\n", 13));
	close(fd);
	s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	ASSERT_LE(0, s) TH_LOG("ping socket: %s", strerror(errno));
	to.sin_family = AF_INET;
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SENDMSG), 0, -1, 0));
	EXPECT_EQ(8, sendto(s, echo, sizeof(echo), 0, SA(to), sizeof(to)));
	ASSERT_EQ(0, oracle_off(self, &r));
	e = base(s, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	e.remote_ip4 = htonl(LO);
	e.arg = sizeof(echo);
	e.info = F(REMOTE) | F(MSG_NAME);
	EXPECT_EQ(0, ctx_differs(_metadata, "ping", &r.ctx, &e));
	close(s);
}

/* Bad input: the kernel's own errno, with a program attached or not. */
struct bad_case {
	int family, type, op;	/* op: 0 bind, 1 connect, 2 sendto */
	unsigned char addr[28];
	int len, flags;
	int bad;		/* CHECMATE_SOCK_F_BAD_ADDR expected */
};

static int do_bad(const struct bad_case *c, int port)
{
	unsigned char addr[28];
	int s = socket(c->family, c->type, 0), ret;

	memcpy(addr, c->addr, sizeof(addr));
	if (port)
		memcpy(addr + 2, &(__u16){ htons(port) }, 2);
	if (c->op == 0)
		ret = bind(s, (struct sockaddr *)addr, c->len);
	else if (c->op == 1)
		ret = connect(s, (struct sockaddr *)addr, c->len);
	else
		ret = sendto(s, "b", 1, c->flags, (struct sockaddr *)addr, c->len) < 0 ? -1 : 0;
	ret = ret ? errno : 0;
	close(s);
	return ret;
}

#define A4(fam, a, b, c, d) { fam, 0, 0, 0, a, b, c, d }
#define A6(fam) { fam, 0 }

TEST_F(oracle, bad_addresses_keep_the_kernel_errno)
{
	static const unsigned int hooks[] = { H(SOCKET_BIND), H(SOCKET_CONNECT),
					      H(SOCKET_SENDMSG) };
	struct sockaddr_in6 lo = lo6(0);
	struct bad_case cases[] = {
		{ AF_INET, SOCK_DGRAM, 0, A4(AF_UNSPEC, 127, 0, 0, 1), 16, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 0, A4(AF_INET, 127, 0, 0, 1), 8, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 0, A6(AF_INET6), 28, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 0, A4(AF_UNSPEC, 0, 0, 0, 0), 16, 0, 0 },
		{ AF_INET6, SOCK_DGRAM, 0, A6(AF_INET6), 20, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 0, A4(AF_INET, 127, 0, 0, 1), 16, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 0, A4(AF_INET, 127, 0, 0, 1), 28, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 1, A4(AF_INET, 127, 0, 0, 1), 1, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 1, A4(AF_INET, 127, 0, 0, 1), 8, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 1, A6(AF_INET6), 28, 0, 1 },
		{ AF_INET, SOCK_STREAM, 1, A6(AF_INET6), 28, 0, 1 },
		{ AF_INET6, SOCK_STREAM, 1, A4(AF_INET, 127, 0, 0, 1), 16, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 1, A4(AF_INET, 127, 0, 0, 1), 8, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 1, A4(AF_INET, 127, 0, 0, 1), 16, 0, 0 },
		{ AF_INET, SOCK_DGRAM, 2, A4(AF_UNSPEC, 127, 0, 0, 1), 16, 0, 0 },
		{ AF_INET, SOCK_DGRAM, 2, A4(AF_INET, 127, 0, 0, 1), 8, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 2, A4(AF_INET, 127, 0, 0, 1), 0, 0, 1 },
		{ AF_INET, SOCK_DGRAM, 2, A6(AF_INET6), 28, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 2, A6(AF_INET6), 1, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 2, A6(AF_INET6), 20, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 2, A6(AF_UNSPEC), 28, 0, 0 },
		{ AF_INET6, SOCK_DGRAM, 2, A6(AF_UNIX), 28, 0, 1 },
		{ AF_INET6, SOCK_DGRAM, 2, A4(AF_INET, 127, 0, 0, 1), 16, 0, 0 },
		{ AF_INET, SOCK_STREAM, 2, A4(AF_UNSPEC, 127, 0, 0, 1), 16, MSG_FASTOPEN, 1 },
		{ AF_INET, SOCK_STREAM, 2, A4(AF_INET, 127, 0, 0, 1), 8, MSG_FASTOPEN, 1 },
	};
	int port = free_port(SOCK_DGRAM);

	/* The AF_INET6 cases: the IPv6 loopback. */
	memcpy(cases[4].addr, &lo, 28);
	memcpy(cases[2].addr, &lo, 28);
	memcpy(cases[9].addr, &lo, 28);
	memcpy(cases[10].addr, &lo, 28);
	memcpy(cases[17].addr, &lo, 28);
	memcpy(cases[18].addr, &lo, 28);
	memcpy(cases[19].addr, &lo, 28);
	for (unsigned int i = 0; i < ARRAY_LEN(cases); i++) {
		const struct bad_case *c = &cases[i];
		struct record r;
		int want = do_bad(c, port), got;

		ASSERT_EQ(0, oracle_on(_metadata, self, hooks[c->op], 0, -1, 0));
		got = do_bad(c, port);
		ASSERT_EQ(0, oracle_off(self, &r));
		EXPECT_EQ(want, got) TH_LOG("case %u", i);
		EXPECT_EQ(c->bad, !!(r.ctx.info & F(BAD_ADDR)))
			TH_LOG("case %u: errno %d, info %#x", i, want, r.ctx.info);
	}
}

/* Truncated packets: a raw IPv4 datagram too short for its UDP ports. */
TEST_F(oracle, truncated_packet_has_no_ports)
{
	unsigned char pkt[22] = { 0x45, 0, 0, 22, 0, 0, 0x40, 0, 64, IPPROTO_UDP };
	struct sockaddr_in to = sin4(LO, 0);
	int rcv = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	int snd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	struct record r;
	char buf[64];

	ASSERT_LE(0, rcv);
	ASSERT_LE(0, snd);
	memcpy(pkt + 12, &to.sin_addr, 4);
	memcpy(pkt + 16, &to.sin_addr, 4);
	pkt[20] = 0x12;
	pkt[21] = 0x34;
	ASSERT_EQ(0, oracle_on(_metadata, self, H(SOCKET_SOCK_RCV_SKB), 1, OFF(protocol),
			       IPPROTO_UDP));
	ASSERT_EQ(sizeof(pkt), sendto(snd, pkt, sizeof(pkt), 0, SA(to), sizeof(to)));
	EXPECT_EQ(sizeof(pkt), recv(rcv, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(0, oracle_off(self, &r));
	EXPECT_LE(1, r.runs);
	EXPECT_EQ(SOCK_RAW, r.ctx.type);
	EXPECT_EQ(AF_INET, r.ctx.family);
	EXPECT_EQ(IPPROTO_UDP, r.ctx.transport);
	EXPECT_EQ(F(LOCAL) | F(REMOTE) | F(TRUNCATED), r.ctx.info);
	EXPECT_EQ(0, r.ctx.local_port);
	EXPECT_EQ(0, r.ctx.remote_port);
	close(rcv);
	close(snd);
}

/* The samples, loaded by checmatectl as a user would. */
static int ctl(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	snprintf(cmd, sizeof(cmd), "./checmatectl ");
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int join_cgroup(const char *path)
{
	char procs[256];
	int fd, ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	fd = open(procs, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/* Run @fn(@arg) in a child in cgroup @cg (or here if NULL): its status. */
static int in_child(const char *cg, int (*fn)(long arg), long arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (cg && join_cgroup(cg))
			_exit(200);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define EG_CG "/sys/fs/cgroup/net-egress"
#define EG_PIN "/sys/fs/bpf/net-egress"
#define EG_KEY4(port) "u32:2,u32:" #port ",ip4:127.0.0.1,u32:0,u32:0,u32:0"

/* The ways of sending the egress sample names; @arg is the port. */
static int e_udp_connect(long port)
{
	struct sockaddr_in sin = sin4(LO, port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	return connect(s, SA(sin), sizeof(sin)) ? errno : 0;
}

static int e_udp_sendto(long port)
{
	struct sockaddr_in sin = sin4(LO, port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	return sendto(s, "x", 1, 0, SA(sin), sizeof(sin)) == 1 ? 0 : errno;
}

static int e_udp_sendto_unspec(long port)
{
	struct sockaddr_in sin = sin4(LO, port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_family = AF_UNSPEC;
	return sendto(s, "x", 1, 0, SA(sin), sizeof(sin)) == 1 ? 0 : errno;
}

static int e_udp_sendmmsg(long port)
{
	struct sockaddr_in sin = sin4(LO, port);
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct mmsghdr m[2];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	memset(m, 0, sizeof(m));
	for (int i = 0; i < 2; i++) {
		m[i].msg_hdr.msg_name = &sin;
		m[i].msg_hdr.msg_namelen = sizeof(sin);
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	return sendmmsg(s, m, 2, 0) == 2 ? 0 : errno;
}

static int e_udp6_connect_mapped(long port)
{
	struct sockaddr_in6 sin6 = mapped(LO, port);
	int s = socket(AF_INET6, SOCK_DGRAM, 0);

	return connect(s, SA(sin6), sizeof(sin6)) ? errno : 0;
}

static int e_udp6_sendto_mapped(long port)
{
	struct sockaddr_in6 sin6 = mapped(LO, port);
	int s = socket(AF_INET6, SOCK_DGRAM, 0);

	return sendto(s, "x", 1, 0, SA(sin6), sizeof(sin6)) == 1 ? 0 : errno;
}

static int e_udp6_sendto_inet(long port)
{
	struct sockaddr_in sin = sin4(LO, port);
	int s = socket(AF_INET6, SOCK_DGRAM, 0);

	return sendto(s, "x", 1, 0, SA(sin), sizeof(sin)) == 1 ? 0 : errno;
}

/* A TCP listener on 127.0.0.1:@port for the connecting cases. */
static int tcp_listener(int port)
{
	struct sockaddr_in sin = sin4(LO, port);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(l, SA(sin), sizeof(sin)) || listen(l, 16))
		return -1;
	return l;
}

static int e_tcp_fastopen(long port)
{
	struct sockaddr_in sin = sin4(LO, port);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	return sendto(s, "x", 1, MSG_FASTOPEN, SA(sin), sizeof(sin)) == 1 ? 0 : errno;
}

static int e_tcp_fastopen_connect(long port)
{
	struct sockaddr_in sin = sin4(LO, port);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &(int){ 1 }, sizeof(int)))
		return 100;
	if (connect(s, SA(sin), sizeof(sin)))
		return errno;
	return write(s, "x", 1) == 1 ? 0 : errno;
}

static int e_tcp6_connect_mapped(long port)
{
	struct sockaddr_in6 sin6 = mapped(LO, port);
	int s = socket(AF_INET6, SOCK_STREAM, 0);

	return connect(s, SA(sin6), sizeof(sin6)) ? errno : 0;
}

static int e_udp6_sendto_lo(long port)
{
	struct sockaddr_in6 sin6 = lo6(port);
	int s = socket(AF_INET6, SOCK_DGRAM, 0);

	return sendto(s, "x", 1, 0, SA(sin6), sizeof(sin6)) == 1 ? 0 : errno;
}

/* To ::1, but through a routing header whose first hop is not allowed. */
static int e_udp6_sendto_rthdr(long port)
{
	struct sockaddr_in6 sin6 = lo6(port);
	int s = socket(AF_INET6, SOCK_DGRAM, 0);

	if (set_rthdr(s))
		return 100;
	return sendto(s, "x", 1, 0, SA(sin6), sizeof(sin6)) == 1 ? 0 : errno;
}

/* A UDP socket connected outside the cgroup, used inside it. */
static int connected_outside = -1;
static int e_udp_send_connected(long port)
{
	return send(connected_outside, "x", 1, 0) == 1 ? 0 : errno;
}

TEST(egress_allowlist_every_way)
{
	static const struct {
		const char *name;
		int (*fn)(long port);
	} ways[] = {
		{ "udp connect", e_udp_connect },
		{ "udp sendto", e_udp_sendto },
		{ "udp sendto AF_UNSPEC", e_udp_sendto_unspec },
		{ "udp sendmmsg", e_udp_sendmmsg },
		{ "udp6 connect v4-mapped", e_udp6_connect_mapped },
		{ "udp6 sendto v4-mapped", e_udp6_sendto_mapped },
		{ "udp6 sendto AF_INET", e_udp6_sendto_inet },
		{ "tcp sendto MSG_FASTOPEN", e_tcp_fastopen },
		{ "tcp TCP_FASTOPEN_CONNECT", e_tcp_fastopen_connect },
		{ "tcp6 connect v4-mapped", e_tcp6_connect_mapped },
	};
	int l1 = tcp_listener(4242), l2 = tcp_listener(4243);
	struct sockaddr_in sin = sin4(LO, 4243);

	ASSERT_LE(0, l1);
	ASSERT_LE(0, l2);
	ASSERT_TRUE(mkdir(EG_CG, 0755) == 0 || errno == EEXIST);
	mkdir(EG_PIN, 0700);
	ASSERT_EQ(0, ctl("load samples/egress_allowlist.bpf.o --pin-maps " EG_PIN));
	ASSERT_EQ(0, ctl("map update " EG_PIN "/egress_cgroup u32:0 cgroup:" EG_CG));
	ASSERT_EQ(0, ctl("map update " EG_PIN "/egress_allow " EG_KEY4(4242) " u8:1"));
	for (unsigned int i = 0; i < ARRAY_LEN(ways); i++) {
		EXPECT_EQ(0, in_child(EG_CG, ways[i].fn, 4242)) TH_LOG("%s", ways[i].name);
		EXPECT_EQ(ECONNREFUSED, in_child(EG_CG, ways[i].fn, 4243))
			TH_LOG("%s", ways[i].name);
		EXPECT_EQ(0, in_child(NULL, ways[i].fn, 4243)) TH_LOG("%s", ways[i].name);
	}
	/* Connected before, outside the cgroup: its sends are still checked. */
	connected_outside = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, connect(connected_outside, SA(sin), sizeof(sin)));
	EXPECT_EQ(ECONNREFUSED, in_child(EG_CG, e_udp_send_connected, 0));
	EXPECT_EQ(0, in_child(NULL, e_udp_send_connected, 0));
	close(connected_outside);
	/* IPv6 to an allowed address, and through a routing header. */
	ASSERT_EQ(0, ctl("map update " EG_PIN "/egress_allow u32:10,u32:4242,ip6:::1 u8:1"));
	EXPECT_EQ(0, in_child(EG_CG, e_udp6_sendto_lo, 4242));
	EXPECT_EQ(ECONNREFUSED, in_child(EG_CG, e_udp6_sendto_rthdr, 4242));
	ASSERT_EQ(0, ctl("reset socket_connect"));
	ASSERT_EQ(0, ctl("reset socket_sendmsg"));
	close(l1);
	close(l2);
	rmdir(EG_CG);
}

#define PM_CG "/sys/fs/cgroup/net-portmap"
#define PM_PIN "/sys/fs/bpf/net-portmap"

/* Bind port @arg three ways; the port bound, minus 5000, or 255. */
static int pm_bind(long how)
{
	struct sockaddr_in sin = sin4(INADDR_ANY, 5100);
	struct sockaddr_in6 sin6 = mapped(LO, 5100);
	int s = socket(how == 2 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), ret;

	if (how == 1)
		sin.sin_family = AF_UNSPEC;
	if (how == 2)
		ret = bind(s, SA(sin6), sizeof(sin6));
	else
		ret = bind(s, SA(sin), sizeof(sin));
	ret = ret ? 255 : port_of(s) - 5000;
	close(s);
	return ret;
}

TEST(port_map_every_bind)
{
	ASSERT_TRUE(mkdir(PM_CG, 0755) == 0 || errno == EEXIST);
	mkdir(PM_PIN, 0700);
	ASSERT_EQ(0, ctl("load samples/port_map.bpf.o --pin-maps " PM_PIN));
	ASSERT_EQ(0, ctl("map update " PM_PIN "/portmap_cgroup u32:0 cgroup:" PM_CG));
	ASSERT_EQ(0, ctl("map update " PM_PIN "/port_map u32:5100 u32:5107"));
	EXPECT_EQ(107, in_child(PM_CG, pm_bind, 0));
	EXPECT_EQ(107, in_child(PM_CG, pm_bind, 1));	/* AF_UNSPEC */
	EXPECT_EQ(107, in_child(PM_CG, pm_bind, 2));	/* v4-mapped */
	EXPECT_EQ(100, in_child(NULL, pm_bind, 1));
	ASSERT_EQ(0, ctl("reset socket_bind"));
	rmdir(PM_CG);
}

#define IN_CG "/sys/fs/cgroup/net-ingress"
#define IN_PIN "/sys/fs/bpf/net-ingress"
/* family AF_INET, the port (%d), the peer 127.0.0.1 */
#define IN_PEER4 "u32:2,u32:%d,ip4:127.0.0.1,u32:0,u32:0,u32:0"

/* A listener created by a child in @cg, handed back over a socketpair. */
static int ingress_port;
static int ingress_listen(long unused)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(ingress_port) };
	int l = socket(AF_INET6, SOCK_STREAM, 0);

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(l, SA(sin6), sizeof(sin6)) || listen(l, 16))
		return 1;
	pause();
	return 0;
}

static int handshake4(int port)
{
	struct sockaddr_in sin = sin4(LO, port);
	struct pollfd p = { .events = POLLOUT };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);

	p.fd = s;
	if (connect(s, SA(sin), sizeof(sin)) && errno != EINPROGRESS)
		err = errno;
	else if (poll(&p, 1, 500) != 1)
		err = ETIMEDOUT;
	else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	close(s);
	return err;
}

/* Per container: the listener's cgroup id keys the policy; IPv4 on [::]. */
TEST(ingress_filter_per_cgroup)
{
	struct stat st;
	pid_t pid;

	ingress_port = free_port(SOCK_STREAM);
	ASSERT_TRUE(mkdir(IN_CG, 0755) == 0 || errno == EEXIST);
	ASSERT_EQ(0, stat(IN_CG, &st));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (join_cgroup(IN_CG))
			_exit(2);
		_exit(ingress_listen(0));
	}
	usleep(200000);
	mkdir(IN_PIN, 0700);
	ASSERT_EQ(0, ctl("load samples/ingress_filter.bpf.o --pin-maps " IN_PIN));
	EXPECT_EQ(0, handshake4(ingress_port));
	ASSERT_EQ(0, ctl("map update " IN_PIN "/ingress_cg_ports u64:%llu,u32:%d,u32:0 u8:1",
			 (unsigned long long)st.st_ino, ingress_port));
	EXPECT_EQ(ETIMEDOUT, handshake4(ingress_port));
	ASSERT_EQ(0, ctl("map update " IN_PIN "/ingress_cg_allow u64:%llu," IN_PEER4 " u8:1",
			 (unsigned long long)st.st_ino, ingress_port));
	EXPECT_EQ(0, handshake4(ingress_port));
	ASSERT_EQ(0, ctl("reset inet_conn_request"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rmdir(IN_CG);
}

TEST_HARNESS_MAIN
