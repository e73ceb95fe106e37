// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: a lock holds against root. Every path by which root
 * could change what a locked hook's programs decide, tried on a locked
 * hook: replacing or tracing the program through a trampoline, loosening
 * the mode, changing the prog arrays it tail-calls through or letting the
 * BPF core empty them, and, with CHECMATE_LOCK_F_FREEZE_MAPS, writing its
 * maps from user space, from a new program, through a map-in-map or a map
 * iterator. Each must fail with a clear errno and leave the hook as it was.
 *
 * Each test locks a hook of its own until reboot; its programs deny only
 * the test's own process. Run before fuzz_test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "common.h"

#define ADD64_IMM(d, i)	INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* connect() to 127.0.0.1:@port: 0 or the errno. */
static int connect_errno(int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int s = socket(AF_INET, SOCK_STREAM, 0), err = 0;

	if (s < 0)
		return errno;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		err = errno;
	close(s);
	return err;
}

/* read() of /dev/null: 0 or the errno (file_permission). */
static int read_errno(void)
{
	int fd = open("/dev/null", O_RDONLY), err = 0;
	char c;

	if (fd < 0)
		return errno;
	if (read(fd, &c, 1) < 0)
		err = errno;
	close(fd);
	return err;
}

/* kill(self, 0): 0 or the errno (task_kill). */
static int kill_errno(void)
{
	return kill(getpid(), 0) ? errno : 0;
}

/* The hook's mode, flags and program count, for before/after checks. */
static void query(unsigned int hook, struct checmate_query *q)
{
	if (cm_query(hook, q, NULL, 0))
		memset(q, 0xff, sizeof(*q));
	q->prog_ids = 0;
}

TEST(trampolines_refused_on_checmate_programs)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_CONNECT;
	struct bpf_object *target, *attack;
	struct bpf_program *policy, *p;
	struct checmate_query before, after;
	__u32 *tgid;
	size_t sz;
	int fd;

	libbpf_set_print(libbpf_quiet);
	target = bpf_object__open_file("tamper_target.bpf.o", NULL);
	ASSERT_NE(NULL, target);
	policy = bpf_object__find_program_by_name(target, "policy");
	ASSERT_NE(NULL, policy);
	bpf_program__set_expected_attach_type(policy, hook);
	tgid = bpf_map__initial_value(bpf_object__find_map_by_name(target, ".rodata"), &sz);
	ASSERT_NE(NULL, tgid);
	*tgid = getpid();
	ASSERT_EQ(0, bpf_object__load(target));
	fd = bpf_program__fd(policy);
	ASSERT_EQ(0, cm_attach(hook, fd));
	ASSERT_EQ(ECONNREFUSED, connect_errno(4242));
	ASSERT_EQ(DENY_ERRNO, connect_errno(4243));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	query(hook, &before);

	/* freplace of the decision, fentry and fexit on the program. */
	const char *const attacks[][2] = {
		{ "fake_check_port", "check_port" },
		{ "trace_entry", "policy" },
		{ "trace_exit", "policy" },
	};
	struct bpf_object *attack_objs[ARRAY_LEN(attacks)] = {};
	struct bpf_link *links[ARRAY_LEN(attacks)] = {};

	for (size_t i = 0; i < ARRAY_LEN(attacks); i++) {
		attack = bpf_object__open_file("tamper_attack.bpf.o", NULL);
		ASSERT_NE(NULL, attack);
		attack_objs[i] = attack;
		bpf_object__for_each_program(p, attack)
			bpf_program__set_autoload(p, false);
		p = bpf_object__find_program_by_name(attack, attacks[i][0]);
		ASSERT_NE(NULL, p);
		bpf_program__set_autoload(p, true);
		ASSERT_EQ(0, bpf_program__set_attach_target(p, fd, attacks[i][1]));
		EXPECT_EQ(-EINVAL, bpf_object__load(attack)) {
			TH_LOG("%s on a Checmate program was loaded", attacks[i][0]);
			/* Keep it attached: the check below shows its effect. */
			links[i] = i == 0 ?
				bpf_program__attach_freplace(p, fd, attacks[i][1]) :
				bpf_program__attach_trace(p);
		}
	}
	EXPECT_EQ(DENY_ERRNO, connect_errno(4243));
	query(hook, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	EXPECT_EQ(CHECMATE_QUERY_F_LOCKED, after.flags);
	for (size_t i = 0; i < ARRAY_LEN(attacks); i++) {
		bpf_link__destroy(links[i]);
		bpf_object__close(attack_objs[i]);
	}
	bpf_object__close(target);
}

TEST(no_link_or_cgroup_attach_for_checmate_programs)
{
	int fd = load_ret(CHECMATE_HOOK_SOCKET_CONNECT, 0);
	union bpf_attr attr;

	ASSERT_LE(0, fd);
	/* Only prctl() attaches a Checmate program: no link to replace it. */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = fd;
	attr.link_create.target_fd = 0;
	attr.link_create.attach_type = BPF_CGROUP_INET_INGRESS;
	EXPECT_EQ(-1, sys_bpf(BPF_LINK_CREATE, &attr));
	EXPECT_EQ(EINVAL, errno);
	memset(&attr, 0, sizeof(attr));
	attr.attach_bpf_fd = fd;
	attr.target_fd = 0;
	attr.attach_type = BPF_CGROUP_INET_INGRESS;
	EXPECT_EQ(-1, sys_bpf(BPF_PROG_ATTACH, &attr));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST(lock_never_switches_enforcement_off)
{
	unsigned int hook = CHECMATE_HOOK_FILE_PERMISSION;
	int deny = load_deny_tgid(hook, getpid(), DENY_ERRNO), allow;
	struct checmate_query q;

	ASSERT_LE(0, deny);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_DISABLED, 0));
	ASSERT_EQ(0, cm_attach(hook, deny));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	EXPECT_EQ(0, read_errno());
	/* Locked while disabled: tightening stays possible... */
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_LOG_ONLY, 0));
	EXPECT_EQ(0, read_errno());
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_DISABLED, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	EXPECT_EQ(DENY_ERRNO, read_errno());
	/* ...and once enforcing, it never stops. */
	for (int m = CHECMATE_MODE_DISABLED; m <= CHECMATE_MODE_LOG_ONLY; m++) {
		ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, hook, m, 0));
		EXPECT_EQ(EPERM, errno);
	}
	/* No replacing a locked hook's program by one that allows. */
	allow = load_ret(hook, 0);
	ASSERT_LE(0, allow);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_REPLACE, hook, allow, deny));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_APPEND_ONLY, 0));
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_REPLACE, hook, allow, deny));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(DENY_ERRNO, read_errno());
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	EXPECT_EQ(CHECMATE_MODE_APPEND_ONLY, q.mode);
	EXPECT_EQ(CHECMATE_QUERY_F_LOCKED, q.flags);
	EXPECT_EQ(1, q.prog_cnt);
	close(deny);
	close(allow);
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

static int map_delete(int fd, __u32 key)
{
	return cm_map_elem(BPF_MAP_DELETE_ELEM, fd, key, NULL);
}

/* For the caller's tgid: tail-call through slot 0 of @array; else allow. */
static int load_tail_caller(unsigned int hook, int array)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, getpid(), 5),
		MOV64_REG(1, 6),
		LD_MAP_FD(2, array),
		MOV64_IMM(3, 0),
		CALL(BPF_FUNC_tail_call),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

TEST(locked_prog_arrays_stay_as_they_are)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_LISTEN;
	int array = create_map(BPF_MAP_TYPE_PROG_ARRAY, 4, 1, 0);
	int deny = load_ret(hook, -DENY_ERRNO), allow = load_ret(hook, 0);
	int caller, s, err;
	struct checmate_query before, after;

	ASSERT_LE(0, array);
	ASSERT_LE(0, deny);
	ASSERT_LE(0, allow);
	ASSERT_EQ(0, map_update(array, 0, &deny));
	caller = load_tail_caller(hook, array);
	ASSERT_LE(0, caller) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, caller));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	query(hook, &before);
	/* The lock froze the prog array: no replacing, no removing. */
	EXPECT_EQ(-1, map_update(array, 0, &allow));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, map_delete(array, 0));
	EXPECT_EQ(EPERM, errno);
	/*
	 * Every fd closed: the BPF core empties a prog array when its last
	 * user reference goes, unless the lock holds one.
	 */
	close(array);
	close(deny);
	close(allow);
	close(caller);
	usleep(200 * 1000);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	err = listen(s, 1) ? errno : 0;
	close(s);
	EXPECT_EQ(DENY_ERRNO, err);
	query(hook, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

/*
 * For signals this process sends (task_kill's sender_tgid): value = map[0]
 * as { flag, count }; count++ (the program's own state); deny if flag.
 */
static int load_flag_reader(unsigned int hook, int map)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, 0, 1, offsetof(struct checmate_task_ctx, sender_tgid)),
		JEQ_IMM(0, getpid(), 2),
		MOV64_IMM(0, 0),
		EXIT(),
		ST_MEM(BPF_W, 10, -4, 0),
		LD_MAP_FD(1, map),
		MOV64_REG(2, 10),
		ADD64_IMM(2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JNE_IMM(0, 0, 2),
		MOV64_IMM(0, 0),
		EXIT(),
		LDX_MEM(BPF_W, 1, 0, 4),
		ADD64_IMM(1, 1),
		STX_MEM(BPF_W, 0, 1, 4),
		LDX_MEM(BPF_W, 1, 0, 0),
		MOV64_IMM(0, 0),
		JEQ_IMM(1, 0, 1),
		MOV64_IMM(0, -DENY_ERRNO),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

TEST(lock_freezes_maps_on_request)
{
	unsigned int hook = CHECMATE_HOOK_TASK_KILL;
	int map = create_map(BPF_MAP_TYPE_ARRAY, 8, 1, 0);
	__u32 on[2] = { 1, 0 }, off[2] = { 0, 0 }, val[2];
	struct checmate_query before, after;
	int prog, outer, again;

	ASSERT_LE(0, map);
	prog = load_flag_reader(hook, map);
	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, prog));
	/* An unknown flag is refused, and locks nothing. */
	ASSERT_EQ(-1, checmate(CHECMATE_OP_DENY_RESET, hook, 1U << 31, 0));
	EXPECT_EQ(EINVAL, errno);
	query(hook, &before);
	EXPECT_EQ(0, before.flags);
	/* A plain lock leaves the data writable: documented. */
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	ASSERT_EQ(0, map_update(map, 0, on));
	EXPECT_EQ(DENY_ERRNO, kill_errno());
	ASSERT_EQ(0, map_update(map, 0, off));
	EXPECT_EQ(0, kill_errno());
	/* Locked with CHECMATE_LOCK_F_FREEZE_MAPS: frozen and sealed. */
	ASSERT_EQ(0, map_update(map, 0, on));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, CHECMATE_LOCK_F_FREEZE_MAPS, 0));
	query(hook, &before);
	EXPECT_EQ(CHECMATE_QUERY_F_LOCKED | CHECMATE_QUERY_F_MAPS_FROZEN, before.flags);
	EXPECT_EQ(-1, map_update(map, 0, off));
	EXPECT_EQ(EPERM, errno);
	/* The program still keeps its own state in the map. */
	ASSERT_EQ(0, map_lookup(map, 0, val));
	EXPECT_EQ(DENY_ERRNO, kill_errno());
	ASSERT_EQ(0, map_lookup(map, 0, on));
	EXPECT_EQ(val[1] + 1, on[1]);
	/* No new program may use the map, whatever its type... */
	again = load_flag_reader(hook, map);
	EXPECT_EQ(-1, again);
	EXPECT_EQ(EPERM, errno);
	if (again >= 0)
		close(again);
	/* ...nor reach it as an inner map. */
	outer = create_map(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 1, map);
	ASSERT_LE(0, outer);
	EXPECT_EQ(-1, map_update(outer, 0, &map));
	EXPECT_EQ(EPERM, errno);
	close(outer);
	EXPECT_EQ(DENY_ERRNO, kill_errno());
	query(hook, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	close(prog);
	close(map);
}

TEST(no_map_iterator_on_sealed_maps)
{
	unsigned int hook = CHECMATE_HOOK_TASK_KILL;
	int map = create_map(BPF_MAP_TYPE_ARRAY, 8, 1, 0);
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct bpf_object *attack;
	struct bpf_program *p;
	struct bpf_link *link;
	int prog;

	ASSERT_LE(0, map);
	prog = load_flag_reader(hook, map);
	ASSERT_LE(0, prog);
	/* task_kill is locked with frozen maps by the test above. */
	ASSERT_EQ(0, cm_attach(hook, prog));
	libbpf_set_print(libbpf_quiet);
	attack = bpf_object__open_file("tamper_attack.bpf.o", NULL);
	ASSERT_NE(NULL, attack);
	bpf_object__for_each_program(p, attack)
		bpf_program__set_autoload(p, false);
	p = bpf_object__find_program_by_name(attack, "rewrite_values");
	ASSERT_NE(NULL, p);
	bpf_program__set_autoload(p, true);
	ASSERT_EQ(0, bpf_object__load(attack));
	memset(&linfo, 0, sizeof(linfo));
	linfo.map.map_fd = map;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(p, &opts);
	EXPECT_EQ(NULL, link);
	EXPECT_EQ(EPERM, errno);
	bpf_link__destroy(link);
	bpf_object__close(attack);
	close(prog);
	close(map);
}

TEST_HARNESS_MAIN
