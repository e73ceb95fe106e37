// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: attacks on the lock (CHECMATE_OP_DENY_RESET) and on
 * the promise that a socket context holds what the kernel acts on. Each
 * test asserts the secure behaviour.
 *
 * Each test locks a hook until reboot; its programs act only for the
 * test's own process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "common.h"

#define ADD64_IMM(d, i)	INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define SOCK_OFF(f)	offsetof(struct checmate_sock_ctx, f)
#define ADDR_OFF(f)	offsetof(struct bpf_sock_addr, f)

static int create_map_flags(enum bpf_map_type type, __u32 value_size, __u32 max,
			    int inner_fd, __u32 flags)
{
	return cm_map_create(type, value_size, max, inner_fd, flags);
}

static int create_map(enum bpf_map_type type, __u32 value_size, __u32 max,
		      int inner_fd)
{
	return cm_map_create(type, value_size, max, inner_fd, 0);
}

static int map_update(int fd, __u32 key, const void *value)
{
	return cm_map_elem(BPF_MAP_UPDATE_ELEM, fd, key, value);
}

static int map_lookup(int fd, __u32 key, void *value)
{
	return cm_map_elem(BPF_MAP_LOOKUP_ELEM, fd, key, value);
}

/* A program of type @type, attach type @eat; fd or -1. */
static int load_other(enum bpf_prog_type type, unsigned int eat,
		      const struct bpf_insn *insns, size_t cnt)
{
	return load_prog_type(type, eat, insns, cnt, 0);
}

static int cgroup_attach(int prog, enum bpf_attach_type type, int cg)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = cg;
	attr.attach_bpf_fd = prog;
	attr.attach_type = type;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	return sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int cgroup_detach(int prog, enum bpf_attach_type type, int cg)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = cg;
	attr.attach_bpf_fd = prog;
	attr.attach_type = type;
	return sys_bpf(BPF_PROG_DETACH, &attr);
}

/*
 * A socket_bind program: for the caller's tgid, if local_port is @from,
 * write @to there; allow.
 */
static int load_bind_mapper(int from, int to)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, getpid(), 4),
		LDX_MEM(BPF_W, 2, 6, SOCK_OFF(local_port)),
		JNE_IMM(2, from, 2),
		MOV64_IMM(2, to),
		STX_MEM(BPF_W, 6, 2, SOCK_OFF(local_port)),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(CHECMATE_HOOK_SOCKET_BIND, insns, ARRAY_LEN(insns));
}

/*
 * A cgroup sock_addr program (connect4, sendmsg4, bind4): for the caller's
 * tgid, if user_port is @from (host order), rewrite it to @to; allow.
 */
static int load_port_rewriter(enum bpf_attach_type type, int from, int to)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, getpid(), 4),
		LDX_MEM(BPF_W, 2, 6, ADDR_OFF(user_port)),
		JNE_IMM(2, htons(from), 2),
		MOV64_IMM(2, htons(to)),
		STX_MEM(BPF_W, 6, 2, ADDR_OFF(user_port)),
		MOV64_IMM(0, 1),
		EXIT(),
	};

	return load_other(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, type, insns,
			  ARRAY_LEN(insns));
}

/* A socket of @type bound to 127.0.0.1:@port (listening if TCP), or -1. */
static int server(int type, int port)
{
	struct sockaddr_in sin = lo4(port);
	int s = socket(AF_INET, type, 0), one = 1;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (type == SOCK_STREAM && listen(s, 8))) {
		close(s);
		return -1;
	}
	return s;
}

/* The port getsockname() (or getpeername() if @peer) reports, or -1. */
static int sock_port(int s, int peer)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int ret = peer ? getpeername(s, (struct sockaddr *)&sin, &len) :
			 getsockname(s, (struct sockaddr *)&sin, &len);

	return ret ? -1 : ntohs(sin.sin_port);
}

/*
 * A lock promises that the locked hook's programs keep deciding. On
 * socket_bind "deciding" includes the port the program writes into
 * local_port (samples/port_map.bpf.c). Programs run in attach order on one
 * context and a locked hook still takes new programs, so a program
 * attached after the lock rewrites the locked program's port: the socket
 * binds where the locked policy said it must not.
 */
TEST(locked_bind_port_not_overridden_by_later_program)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_BIND;
	struct sockaddr_in sin = lo4(8080);
	int policy, attack, s, err;

	policy = load_bind_mapper(8080, 18080);
	ASSERT_LE(0, policy) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, policy));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));

	/* The locked policy: 8080 binds 18080. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(18080, sock_port(s, 0));
	close(s);

	/* Root attaches a program that undoes it. */
	attack = load_bind_mapper(18080, 8080);
	ASSERT_LE(0, attack) TH_LOG("%s", verifier_log);
	err = cm_attach(hook, attack) ? errno : 0;
	TH_LOG("attach of a port writer to the locked hook: %s", strerror(err));
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(18080, sock_port(s, 0)) {
		TH_LOG("a program attached after the lock overrode the locked port");
	}
	close(s);
	close(attack);
	close(policy);
}

/*
 * cgroup sock_addr programs (connect4, sendmsg4, bind4) rewrite the user
 * address after security_socket_connect()/_sendmsg()/_bind() have run:
 * the locked policy would decide on one address and the kernel use
 * another. While the hook is locked, attaching one fails with EPERM; were
 * it attached, the check after it shows the redirect.
 */
TEST(cgroup_connect4_redirects_past_locked_policy)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_CONNECT;
	struct sockaddr_in to = lo4(4242);
	int policy, rw, cg, srv, s, err, peer = -1;

	policy = load_deny_if(hook, getpid(), SOCK_OFF(remote_port), 4, 4243,
			      DENY_ERRNO);
	ASSERT_LE(0, policy) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, policy));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook,
			      CHECMATE_LOCK_F_FREEZE_MAPS, 0));
	srv = server(SOCK_STREAM, 4243);
	ASSERT_LE(0, srv);
	/* The policy holds: 4243 is refused. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	to = lo4(4243);
	ASSERT_EQ(-1, connect(s, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(DENY_ERRNO, errno);
	close(s);

	cg = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cg);
	rw = load_port_rewriter(BPF_CGROUP_INET4_CONNECT, 4242, 4243);
	ASSERT_LE(0, rw) TH_LOG("%s", verifier_log);
	/* Refused while the hook is locked (guard.rs). */
	EXPECT_EQ(-1, cgroup_attach(rw, BPF_CGROUP_INET4_CONNECT, cg));
	EXPECT_EQ(EPERM, errno);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	to = lo4(4242);
	err = connect(s, (struct sockaddr *)&to, sizeof(to)) ? errno : 0;
	if (!err)
		peer = sock_port(s, 1);
	close(s);
	cgroup_detach(rw, BPF_CGROUP_INET4_CONNECT, cg);
	EXPECT_NE(4243, peer) {
		TH_LOG("connect(4242) reached :4243, which the locked policy refuses");
	}
	close(rw);
	close(cg);
	close(srv);
	close(policy);
}

TEST(cgroup_sendmsg4_redirects_past_locked_policy)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_SENDMSG;
	struct sockaddr_in to = lo4(4243);
	int policy, rw, cg, srv, s;
	char c = 'x';

	policy = load_deny_if(hook, getpid(), SOCK_OFF(remote_port), 4, 4243,
			      DENY_ERRNO);
	ASSERT_LE(0, policy) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, policy));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	srv = server(SOCK_DGRAM, 4243);
	ASSERT_LE(0, srv);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(-1, sendto(s, &c, 1, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(DENY_ERRNO, errno);

	cg = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cg);
	rw = load_port_rewriter(BPF_CGROUP_UDP4_SENDMSG, 4242, 4243);
	ASSERT_LE(0, rw) TH_LOG("%s", verifier_log);
	/* Refused while the hook is locked (guard.rs). */
	EXPECT_EQ(-1, cgroup_attach(rw, BPF_CGROUP_UDP4_SENDMSG, cg));
	EXPECT_EQ(EPERM, errno);
	to = lo4(4242);
	sendto(s, &c, 1, 0, (struct sockaddr *)&to, sizeof(to));
	cgroup_detach(rw, BPF_CGROUP_UDP4_SENDMSG, cg);
	usleep(100 * 1000);
	EXPECT_EQ(-1, recv(srv, &c, 1, MSG_DONTWAIT)) {
		TH_LOG("a datagram reached :4243, which the locked policy refuses");
	}
	close(s);
	close(rw);
	close(cg);
	close(srv);
	close(policy);
}

TEST(cgroup_bind4_overrides_locked_bind_port)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_BIND;
	struct sockaddr_in sin = lo4(8081);
	int policy, rw, cg, s;

	policy = load_bind_mapper(8081, 18081);
	ASSERT_LE(0, policy) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, policy));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	cg = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cg);
	rw = load_port_rewriter(BPF_CGROUP_INET4_BIND, 18081, 8081);
	ASSERT_LE(0, rw) TH_LOG("%s", verifier_log);
	/* Refused while the hook is locked (guard.rs). */
	EXPECT_EQ(-1, cgroup_attach(rw, BPF_CGROUP_INET4_BIND, cg));
	EXPECT_EQ(EPERM, errno);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	cgroup_detach(rw, BPF_CGROUP_INET4_BIND, cg);
	EXPECT_EQ(18081, sock_port(s, 0)) {
		TH_LOG("bound to 8081 although the locked socket_bind policy maps it to 18081");
	}
	close(s);
	close(rw);
	close(cg);
	close(policy);
}

/*
 * A program for @hook reading @d0 and @d (lookups of key 0) and
 * tail-calling through slot 0 of @pa.
 */
static int load_map_user(unsigned int hook, int d0, int d, int pa)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		ST_MEM(BPF_W, 10, -4, 0),
		LD_MAP_FD(1, d0),
		MOV64_REG(2, 10),
		ADD64_IMM(2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		LD_MAP_FD(1, d),
		MOV64_REG(2, 10),
		ADD64_IMM(2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		MOV64_REG(1, 6),
		LD_MAP_FD(2, pa),
		MOV64_IMM(3, 0),
		CALL(BPF_FUNC_tail_call),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

struct maps {
	int d0, d, pa, t1, t2;
	void *mem;
};

/* d0 a plain array, d an mmapable array mapped writable, pa a prog array. */
static int make_maps(unsigned int hook, struct maps *m)
{
	m->d0 = create_map(BPF_MAP_TYPE_ARRAY, 4, 1, 0);
	m->d = create_map_flags(BPF_MAP_TYPE_ARRAY, 4, 1, 0, BPF_F_MMAPABLE);
	m->pa = create_map(BPF_MAP_TYPE_PROG_ARRAY, 4, 1, 0);
	m->t1 = load_ret(hook, 0);
	m->t2 = load_ret(hook, 0);
	if (m->d0 < 0 || m->d < 0 || m->pa < 0 || m->t1 < 0 || m->t2 < 0)
		return -1;
	m->mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m->d, 0);
	if (m->mem == MAP_FAILED)
		return -1;
	return map_update(m->pa, 0, &m->t1);
}

/*
 * A refused attach to a locked hook must change nothing (commit "a refused
 * attach to a locked hook freezes nothing"). seal::protect() freezes the
 * new program's prog arrays, holds them in the hook's `held` list, then
 * freezes and seals its data maps one by one: a map mapped writable fails
 * it with EBUSY after the prog array and the maps before it are frozen,
 * for good, and the hook holds a user reference on a prog array of a
 * program it never ran.
 */
TEST(refused_attach_to_locked_hook_freezes_nothing)
{
	unsigned int hook = CHECMATE_HOOK_SB_UMOUNT;
	struct maps m;
	__u32 one = 1;
	int p, again;

	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook,
			      CHECMATE_LOCK_F_FREEZE_MAPS, 0));
	ASSERT_EQ(0, make_maps(hook, &m));
	p = load_map_user(hook, m.d0, m.d, m.pa);
	ASSERT_LE(0, p) TH_LOG("%s", verifier_log);
	ASSERT_EQ(-1, cm_attach(hook, p));
	ASSERT_EQ(EBUSY, errno);
	EXPECT_EQ(0, attached(hook, prog_id(p)));
	/* Nothing of the refused program's may be frozen or sealed. */
	EXPECT_EQ(0, map_update(m.pa, 0, &m.t2)) {
		TH_LOG("refused attach froze the prog array: %s", strerror(errno));
	}
	EXPECT_EQ(0, map_update(m.d0, 0, &one)) {
		TH_LOG("refused attach froze a data map: %s", strerror(errno));
	}
	again = load_map_user(hook, m.d0, m.d, m.pa);
	EXPECT_LE(0, again) {
		TH_LOG("refused attach sealed a data map: %s", strerror(errno));
	}
	if (again >= 0)
		close(again);
	close(p);
}

/* The same for a refused lock: the hook stays unlocked and nothing frozen. */
TEST(refused_lock_freezes_nothing)
{
	unsigned int hook = CHECMATE_HOOK_INODE_CREATE;
	struct checmate_query q;
	struct maps m;
	__u32 one = 1;
	int p;

	ASSERT_EQ(0, make_maps(hook, &m));
	p = load_map_user(hook, m.d0, m.d, m.pa);
	ASSERT_LE(0, p) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, p));
	ASSERT_EQ(-1, checmate(CHECMATE_OP_DENY_RESET, hook,
			       CHECMATE_LOCK_F_FREEZE_MAPS, 0));
	ASSERT_EQ(EBUSY, errno);
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	EXPECT_EQ(0, q.flags);
	EXPECT_EQ(0, map_update(m.pa, 0, &m.t2)) {
		TH_LOG("refused lock froze the prog array: %s", strerror(errno));
	}
	EXPECT_EQ(0, map_update(m.d0, 0, &one)) {
		TH_LOG("refused lock froze a data map: %s", strerror(errno));
	}
	EXPECT_EQ(0, cm_detach(hook, p));
	close(p);
}

/* For the caller's tgid: deny while @d[0] != 0. */
static int load_flag_denier(unsigned int hook, int d)
{
	const struct bpf_insn insns[] = {
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JEQ_IMM(0, getpid(), 2),
		MOV64_IMM(0, 0),
		EXIT(),
		ST_MEM(BPF_W, 10, -4, 0),
		LD_MAP_FD(1, d),
		MOV64_REG(2, 10),
		ADD64_IMM(2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JNE_IMM(0, 0, 2),
		MOV64_IMM(0, 0),
		EXIT(),
		LDX_MEM(BPF_W, 1, 0, 0),
		MOV64_IMM(0, 0),
		JEQ_IMM(1, 0, 1),
		MOV64_IMM(0, -DENY_ERRNO),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

/* A socket filter that sets @outer[0][0] = 0. */
static int load_inner_zeroer(int outer)
{
	const struct bpf_insn insns[] = {
		ST_MEM(BPF_W, 10, -4, 0),
		LD_MAP_FD(1, outer),
		MOV64_REG(2, 10),
		ADD64_IMM(2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(0, 0, 6),
		MOV64_REG(1, 0),
		MOV64_REG(2, 10),
		ADD64_IMM(2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(0, 0, 1),
		ST_MEM(BPF_W, 0, 0, 0),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_other(BPF_PROG_TYPE_SOCKET_FILTER, 0, insns, ARRAY_LEN(insns));
}

/*
 * The guide: a sealed map gets no new user, "no program loaded afterwards
 * may use them". A map that sits in a map-in-map would be reached through
 * the outer map by programs loaded after the lock, and written: sealing it
 * fails with EBUSY, and changes nothing, until it is taken out.
 */
TEST(sealed_map_written_through_older_map_in_map)
{
	unsigned int hook = CHECMATE_HOOK_PATH_CHROOT;
	int d = create_map(BPF_MAP_TYPE_ARRAY, 4, 1, 0), outer, policy, writer;
	struct checmate_query q, before;
	__u32 on = 1, val = 0, key = 0;
	char pkt[64] = {};
	union bpf_attr attr;

	ASSERT_LE(0, d);
	ASSERT_EQ(0, map_update(d, 0, &on));
	outer = create_map(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 1, d);
	ASSERT_LE(0, outer);
	ASSERT_EQ(0, map_update(outer, 0, &d));
	policy = load_flag_denier(hook, d);
	ASSERT_LE(0, policy) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, policy));
	ASSERT_EQ(0, cm_query(hook, &before, NULL, 0));
	EXPECT_EQ(-1, checmate(CHECMATE_OP_DENY_RESET, hook,
			       CHECMATE_LOCK_F_FREEZE_MAPS, 0));
	EXPECT_EQ(EBUSY, errno);
	/* Refused: the hook as it was (priv_test may have locked it), the map not frozen. */
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	EXPECT_EQ(before.flags, q.flags);
	EXPECT_EQ(0, q.flags & CHECMATE_QUERY_F_MAPS_FROZEN);
	EXPECT_EQ(0, map_update(d, 0, &on));
	/* Out of the map-in-map, the map can be sealed. */
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = outer;
	attr.key = (uintptr_t)&key;
	ASSERT_EQ(0, sys_bpf(BPF_MAP_DELETE_ELEM, &attr));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook,
			      CHECMATE_LOCK_F_FREEZE_MAPS, 0));
	ASSERT_EQ(-1, chroot("/"));
	ASSERT_EQ(DENY_ERRNO, errno);
	ASSERT_EQ(-1, map_update(d, 0, &val));
	ASSERT_EQ(EPERM, errno);
	/* And it cannot go back in. */
	EXPECT_EQ(-1, map_update(outer, 0, &d));
	EXPECT_EQ(EPERM, errno);
	writer = load_inner_zeroer(outer);
	if (writer >= 0) {
		memset(&attr, 0, sizeof(attr));
		attr.test.prog_fd = writer;
		attr.test.data_in = (uintptr_t)pkt;
		attr.test.data_size_in = sizeof(pkt);
		attr.test.repeat = 1;
		EXPECT_EQ(0, sys_bpf(BPF_PROG_TEST_RUN, &attr));
		close(writer);
	}
	EXPECT_EQ(0, map_lookup(d, 0, &val));
	EXPECT_EQ(1, val) {
		TH_LOG("a program loaded after the lock wrote the sealed map");
	}
	EXPECT_EQ(-1, chroot("/"));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(outer);
	close(policy);
	close(d);
}

TEST_HARNESS_MAIN
