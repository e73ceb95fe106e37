// SPDX-License-Identifier: GPL-2.0
/*
 * checmate-bench: hook overhead microbenchmarks, run in the guest by
 * tools/bench/run.sh under QEMU's -icount shift=0,sleep=off, where guest
 * time advances one nanosecond per executed instruction: every figure is an
 * instruction count and repeats exactly.
 *
 *   checmate-bench baseline|checmate|bpf
 *   checmate-bench egress CONFIG PIN_DIR
 *
 * Every mode first moves into the cgroup /sys/fs/cgroup/bench and loads the
 * same programs (8 Checmate and 8 BPF LSM allow-all programs per hook),
 * since holding BPF programs changes the cost of the operations themselves;
 * the modes differ only in what is attached. "egress" measures a policy that
 * tools/bench/guest.sh attached beforehand (the egress allowlist sample, or
 * its BPF LSM twin) with its maps pinned in PIN_DIR: it fills the allowlist
 * with 1,000 entries, the address the benchmark connects to among them, and
 * puts the bench cgroup into the policy's cgroup map.
 * Output lines: "BENCH <config> <op> <instructions per op>" and
 * "INFO <key> <value>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/checmate.h>
#include <linux/prctl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NPROGS 8

static const struct {
	const char *name;
	unsigned int hook;
} hooks[] = {
	{ "file_open", CHECMATE_HOOK_FILE_OPEN },
	{ "socket_create", CHECMATE_HOOK_SOCKET_CREATE },
	{ "socket_connect", CHECMATE_HOOK_SOCKET_CONNECT },
	{ "task_alloc", CHECMATE_HOOK_TASK_ALLOC },
	{ "bprm_check_security", CHECMATE_HOOK_BPRM_CHECK_SECURITY },
};
#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))

static int cm_progs[NHOOKS][NPROGS], lsm_progs[NHOOKS][NPROGS];

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void die(const char *what)
{
	fprintf(stderr, "checmate-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The BTF id of FUNC @name in the running kernel's BTF. */
static int btf_func_id(const char *name)
{
	static char *data;
	static size_t len;
	struct btf_header *h;
	char *types, *strs;
	int id = 1;

	if (!data) {
		int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY);
		struct stat st;

		if (fd < 0 || fstat(fd, &st))
			die("/sys/kernel/btf/vmlinux");
		data = malloc(st.st_size);
		if (!data)
			die("malloc");
		for (ssize_t n; len < (size_t)st.st_size; len += n) {
			n = read(fd, data + len, st.st_size - len);
			if (n <= 0)
				die("read BTF");
		}
		close(fd);
	}
	h = (struct btf_header *)data;
	types = data + h->hdr_len + h->type_off;
	strs = data + h->hdr_len + h->str_off;
	for (char *p = types; p < types + h->type_len; id++) {
		struct btf_type *t = (struct btf_type *)p;
		int vlen = BTF_INFO_VLEN(t->info);

		if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC && !strcmp(strs + t->name_off, name))
			return id;
		p += sizeof(*t);
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_INT: p += 4; break;
		case BTF_KIND_ARRAY: p += sizeof(struct btf_array); break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION: p += vlen * sizeof(struct btf_member); break;
		case BTF_KIND_ENUM: p += vlen * sizeof(struct btf_enum); break;
		case BTF_KIND_FUNC_PROTO: p += vlen * sizeof(struct btf_param); break;
		case BTF_KIND_VAR: p += sizeof(struct btf_var); break;
		case BTF_KIND_DATASEC: p += vlen * sizeof(struct btf_var_secinfo); break;
		case BTF_KIND_DECL_TAG: p += sizeof(struct btf_decl_tag); break;
		case BTF_KIND_ENUM64: p += vlen * sizeof(struct btf_enum64); break;
		default: break;
		}
	}
	errno = ENOENT;
	return -1;
}

static const struct bpf_insn allow[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load(enum bpf_prog_type type, unsigned int attach, int btf_id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.expected_attach_type = attach;
	attr.attach_btf_id = btf_id;
	attr.insns = (unsigned long)allow;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	return sys_bpf(BPF_PROG_LOAD, &attr);
}

static void load_all(void)
{
	char fn[64];

	for (size_t h = 0; h < NHOOKS; h++) {
		int btf_id;

		snprintf(fn, sizeof(fn), "bpf_lsm_%s", hooks[h].name);
		btf_id = btf_func_id(fn);
		if (btf_id < 0)
			die(fn);
		for (int i = 0; i < NPROGS; i++) {
			cm_progs[h][i] = load(BPF_PROG_TYPE_CHECMATE, hooks[h].hook, 0);
			lsm_progs[h][i] = load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, btf_id);
			if (cm_progs[h][i] < 0 || lsm_progs[h][i] < 0)
				die("BPF_PROG_LOAD");
		}
	}
}

/* Attach programs [from, to) of every hook. */
static void attach(int bpf_lsm, int from, int to)
{
	for (size_t h = 0; h < NHOOKS; h++) {
		for (int i = from; i < to; i++) {
			if (bpf_lsm) {
				union bpf_attr attr;

				memset(&attr, 0, sizeof(attr));
				attr.raw_tracepoint.prog_fd = lsm_progs[h][i];
				if (sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr) < 0)
					die("BPF_RAW_TRACEPOINT_OPEN");
			} else if (prctl(PR_CHECMATE, CHECMATE_OP_ATTACH, hooks[h].hook,
					 cm_progs[h][i], 0)) {
				die("CHECMATE_OP_ATTACH");
			}
		}
	}
}

static long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void op_open(void)
{
	int fd = open("/tmp/checmate-bench", O_RDONLY);

	if (fd < 0)
		die("open");
	close(fd);
}

static void op_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("socket/connect");
	close(s);
}

static void op_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		die("fork");
}

static const char *self_exe;

static void op_exec(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(self_exe, self_exe, "noop", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		die("fork/exec");
}

static const struct {
	const char *name;
	void (*fn)(void);
	int iters;
} ops[] = {
	{ "open_close", op_open, 20000 },
	{ "socket_connect_close", op_connect, 5000 },
	{ "fork_wait", op_fork, 500 },
	{ "fork_exec_wait", op_exec, 200 },
};

static void measure(const char *config)
{
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		long long t0;

		for (int i = 0; i < ops[o].iters / 10; i++)
			ops[o].fn();
		t0 = now();
		for (int i = 0; i < ops[o].iters; i++)
			ops[o].fn();
		printf("BENCH %s %s %lld\n", config, ops[o].name,
		       (now() - t0) / ops[o].iters);
	}
	fflush(stdout);
}

/* Detach what attach() attached, so that a later run starts idle. */
static void reset_all(void)
{
	for (size_t h = 0; h < NHOOKS; h++)
		if (prctl(PR_CHECMATE, CHECMATE_OP_RESET, hooks[h].hook, 0, 0))
			die("CHECMATE_OP_RESET");
}

static void prog_info(const char *key, int fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (unsigned long)&info;
	if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		printf("INFO %s_jited_bytes %u\nINFO %s_insns %zu\n", key,
		       info.jited_prog_len, key, info.xlated_prog_len / sizeof(struct bpf_insn));
}

/* Cost of one attach + detach pair on a hook nothing crosses here. */
static void attach_detach(void)
{
	const int n = 50;
	int fd = load(BPF_PROG_TYPE_CHECMATE, CHECMATE_HOOK_PATH_CHROOT, 0);
	long long t0 = now();

	for (int i = 0; i < n; i++) {
		if (prctl(PR_CHECMATE, CHECMATE_OP_ATTACH, CHECMATE_HOOK_PATH_CHROOT, fd, 0) ||
		    prctl(PR_CHECMATE, CHECMATE_OP_DETACH, CHECMATE_HOOK_PATH_CHROOT, fd, 0))
			die("attach/detach");
	}
	printf("INFO attach_detach_pair_ns %lld\n", (now() - t0) / n);
	close(fd);
}

static int obj_get(const char *dir, const char *name)
{
	char path[256];
	union bpf_attr attr;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (unsigned long)path;
	fd = sys_bpf(BPF_OBJ_GET, &attr);
	if (fd < 0)
		die(path);
	return fd;
}

static void map_update(int map, const void *key, const void *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (unsigned long)key;
	attr.value = (unsigned long)value;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr))
		die("BPF_MAP_UPDATE_ELEM");
}

#define BENCH_CGROUP "/sys/fs/cgroup/bench"

/* Fill the egress policy's maps: 1,000 allowed (address, port) pairs. */
static void egress_setup(const char *dir)
{
	struct {
		__u32 family, port, addr[4];
	} key;
	int allow = obj_get(dir, "egress_allow"), cgroups = obj_get(dir, "egress_cgroup");
	int cg = open(BENCH_CGROUP, O_RDONLY | O_DIRECTORY);
	__u32 zero = 0, cg_fd = cg;
	__u8 one = 1;

	if (cg < 0)
		die(BENCH_CGROUP);
	map_update(cgroups, &zero, &cg_fd);
	for (int i = 0; i < 1000; i++) {
		memset(&key, 0, sizeof(key));
		key.family = AF_INET;
		/* 999 other hosts (10.0.x.y, port 443), then the one used. */
		key.port = i < 999 ? 443 : 9;
		key.addr[0] = i < 999 ? htonl(0x0a000000 + i) : htonl(INADDR_LOOPBACK);
		map_update(allow, &key, &one);
	}
	close(cg);
	close(allow);
	close(cgroups);
}

/* INFO lines for the loaded program whose name starts with @prefix. */
static void named_prog_info(const char *key, const char *prefix)
{
	union bpf_attr attr;
	__u32 id = 0;

	for (;;) {
		struct bpf_prog_info info;
		int fd;

		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (sys_bpf(BPF_PROG_GET_NEXT_ID, &attr))
			return;
		id = attr.next_id;
		memset(&attr, 0, sizeof(attr));
		attr.prog_id = id;
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (unsigned long)&info;
		if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) &&
		    !strncmp(info.name, prefix, strlen(prefix))) {
			prog_info(key, fd);
			close(fd);
			return;
		}
		close(fd);
	}
}

/* Run in the cgroup every configuration is measured in. */
static void enter_bench_cgroup(void)
{
	int procs;

	mkdir(BENCH_CGROUP, 0755);
	procs = open(BENCH_CGROUP "/cgroup.procs", O_WRONLY);
	if (procs < 0 || write(procs, "0", 1) != 1)
		die(BENCH_CGROUP "/cgroup.procs");
	close(procs);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int fd;

	if (!strcmp(mode, "noop"))
		return 0;
	self_exe = argv[0];
	fd = open("/tmp/checmate-bench", O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		die("create");
	close(fd);
	enter_bench_cgroup();
	load_all();
	if (!strcmp(mode, "baseline")) {
		measure("baseline");
	} else if (!strcmp(mode, "checmate") || !strcmp(mode, "bpf")) {
		int bpf = !strcmp(mode, "bpf");
		const char *name = bpf ? "bpf-lsm" : "checmate";
		char config[32];

		snprintf(config, sizeof(config), "%s-idle", name);
		measure(config);
		attach(bpf, 0, 1);
		snprintf(config, sizeof(config), "%s-1", name);
		measure(config);
		attach(bpf, 1, NPROGS);
		snprintf(config, sizeof(config), "%s-8", name);
		measure(config);
		if (!bpf) {
			attach_detach();
			reset_all();
		}
		prog_info(bpf ? "bpf_lsm_prog" : "checmate_prog", bpf ? lsm_progs[0][0] : cm_progs[0][0]);
	} else if (!strcmp(mode, "egress") && argc == 4) {
		int bpf = !strncmp(argv[2], "bpf", 3);

		egress_setup(argv[3]);
		measure(argv[2]);
		named_prog_info(bpf ? "egress_lsm" : "egress_policy", bpf ? "egress_lsm" : "egress_conn");
	} else {
		fprintf(stderr, "usage: checmate-bench baseline|checmate|bpf\n"
			"       checmate-bench egress CONFIG PIN_DIR\n");
		return 2;
	}
	return 0;
}
