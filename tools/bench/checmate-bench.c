// SPDX-License-Identifier: GPL-2.0
/*
 * checmate-bench: hook overhead microbenchmarks, run in the guest by
 * tools/bench/run.sh under QEMU's -icount shift=0,sleep=off, where guest
 * time advances one nanosecond per executed instruction: every figure is an
 * instruction count and repeats exactly.
 *
 *   checmate-bench baseline|checmate|bpf
 *   checmate-bench idle CONFIG
 *   checmate-bench egress CONFIG PIN_DIR ENTRIES [all]
 *   checmate-bench memory checmate|bpf
 *   checmate-bench macro-prep
 *   checmate-bench macro CONFIG [twins|maps EGRESS_PIN_DIR INGRESS_PIN_DIR]
 *
 * The baseline, checmate, bpf and egress modes first move into the cgroup
 * /sys/fs/cgroup/bench (idle does too) and load the same programs (8
 * Checmate and 8 BPF LSM allow-all programs per hook of hooks[]), since holding BPF programs changes the cost of the
 * operations themselves; the modes differ only in what is attached. The
 * checmate and bpf modes measure every operation of ops[] idle, then each
 * with 1 and with 8 programs on the hooks it crosses (detached before the
 * next), and grow file_open from 0 to 64 programs (CURVE lines: open+close
 * at 0, 1, 2, 4, ... 64; LAT lines: one attach and one detach with k
 * programs already there); checmate then checks which hooks each
 * operation really crosses (CROSS lines). "idle" measures the operations
 * and the probes of the always-on hooks with no program loaded (the boots
 * with and without Checmate in the kernel's LSM list). "egress" measures
 * a policy that tools/bench/guest.sh attached beforehand (the egress
 * allowlist sample, or its BPF LSM twin) with its maps pinned in PIN_DIR:
 * it fills the allowlist with ENTRIES entries, the address the benchmark
 * connects to among them, and puts the bench cgroup into the policy's
 * cgroup map; a CONFIG that contains "lpm" names the LPM-trie variant
 * (tools/bench/egress_lpm.bpf.c or its twin), whose trie gets ENTRIES
 * adjacent /30 networks, the connected address in one. "memory" attaches programs to
 * every hook and reports /proc/meminfo before and after (MEM lines).
 * "macro" unpacks a tree of 2,000 files with busybox tar, reads it back,
 * and makes 2,000 loopback TCP connections, in the cgroup the sample policy
 * files aim at (MACRO lines); with "twins" it first attaches the BPF LSM
 * stand-ins of the samples (see guest.sh) and fills the twins' maps; with
 * "maps" it only fills the maps (of one twin, the other's directory "-").
 * Output lines: "BENCH <config> <op> <instructions per op>",
 * "CURVE <lsm> <programs> <instructions per open+close>",
 * "LAT <lsm> attach|detach <programs already attached> <instructions>",
 * "EGRESS <config> <entries> <instructions per socket+connect+close>",
 * "MEM <lsm> <step> <attaches> <meminfo field> <kB>",
 * "MACRO <config> <phase> <rep> <instructions>", "OPHOOKS <op> <hook>...",
 * "CROSS <op> <hook> <runs> <iterations>", "IDLE <config> <op> <ns>" and
 * "INFO <key> <value>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NPROGS 8

/*
 * The hooks the operations below cross, each with NPROGS loaded programs of
 * either kind in every mode (the table of ops says which an op attaches to).
 */
static const struct {
	const char *name;
	unsigned int hook;
} hooks[] = {
	{ "file_open", CHECMATE_HOOK_FILE_OPEN },
	{ "socket_create", CHECMATE_HOOK_SOCKET_CREATE },
	{ "socket_connect", CHECMATE_HOOK_SOCKET_CONNECT },
	{ "task_alloc", CHECMATE_HOOK_TASK_ALLOC },
	{ "bprm_check_security", CHECMATE_HOOK_BPRM_CHECK_SECURITY },
	{ "file_permission", CHECMATE_HOOK_FILE_PERMISSION },
	{ "bprm_creds_for_exec", CHECMATE_HOOK_BPRM_CREDS_FOR_EXEC },
	{ "bprm_creds_from_file", CHECMATE_HOOK_BPRM_CREDS_FROM_FILE },
	{ "mmap_file", CHECMATE_HOOK_MMAP_FILE },
	{ "path_mkdir", CHECMATE_HOOK_PATH_MKDIR },
	{ "path_rmdir", CHECMATE_HOOK_PATH_RMDIR },
	{ "unix_stream_connect", CHECMATE_HOOK_UNIX_STREAM_CONNECT },
	{ "socket_accept", CHECMATE_HOOK_SOCKET_ACCEPT },
	{ "capable", CHECMATE_HOOK_CAPABLE },
	{ "task_fix_setuid", CHECMATE_HOOK_TASK_FIX_SETUID },
	{ "file_ioctl", CHECMATE_HOOK_FILE_IOCTL },
	{ "file_mprotect", CHECMATE_HOOK_FILE_MPROTECT },
	{ "inode_follow_link", CHECMATE_HOOK_INODE_FOLLOW_LINK },
};
#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))

static int cm_progs[NHOOKS][NPROGS], lsm_progs[NHOOKS][NPROGS];
/* BPF LSM links of the programs attached for the operation measured. */
static int lsm_links[NHOOKS][NPROGS];

/* file_open's programs for the programs-per-hook curve (CURVE, LAT). */
#define CURVE_MAX CHECMATE_MAX_PROGS_PER_HOOK
static int curve_cm[CURVE_MAX], curve_lsm[CURVE_MAX];

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
	for (int i = 0; i < CURVE_MAX; i++) {
		curve_cm[i] = load(BPF_PROG_TYPE_CHECMATE, CHECMATE_HOOK_FILE_OPEN, 0);
		curve_lsm[i] = load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
				    btf_func_id("bpf_lsm_file_open"));
		if (curve_cm[i] < 0 || curve_lsm[i] < 0)
			die("BPF_PROG_LOAD (curve)");
	}
}

/*
 * Attach @fd to Checmate @hook (returns 0) or, for BPF LSM, open a link for
 * it (returns the link's fd, which detaches when closed); -1 on failure.
 */
static int attach_prog(int bpf_lsm, unsigned int hook, int fd)
{
	union bpf_attr attr;

	if (!bpf_lsm)
		return prctl(PR_CHECMATE, CHECMATE_OP_ATTACH, hook, fd, 0) ? -1 : 0;
	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = fd;
	return sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr);
}

static void detach_prog(int bpf_lsm, unsigned int hook, int fd, int link)
{
	if (bpf_lsm)
		close(link);
	else if (prctl(PR_CHECMATE, CHECMATE_OP_DETACH, hook, fd, 0))
		die("CHECMATE_OP_DETACH");
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

#define BENCH_DIR "/tmp/checmate-bench-dir"
#define BENCH_MAP "/tmp/checmate-bench-map"
#define BENCH_SOCK "/tmp/checmate-bench.sock"
/*
 * An executable file no binary format takes: its first four bytes are
 * printable, so the kernel asks no module for it (search_binary_handler())
 * and execve() fails with ENOEXEC after the exec hooks, without a fork.
 */
#define BENCH_NOEXEC "/tmp/checmate-bench-noexec"

static int map_fd = -1, unix_listener = -1, array_map = -1;
static struct sockaddr_un unix_addr = { .sun_family = AF_UNIX, .sun_path = BENCH_SOCK };
static char hostname[65];

static void op_mkdir(void)
{
	if (mkdir(BENCH_DIR, 0700) || rmdir(BENCH_DIR))
		die("mkdir/rmdir");
}

static void op_mmap(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, map_fd, 0);

	if (p == MAP_FAILED || munmap(p, 4096))
		die("mmap/munmap");
}

static void op_unix(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0), a;

	if (s < 0 || connect(s, (struct sockaddr *)&unix_addr, sizeof(unix_addr)))
		die("unix socket/connect");
	a = accept(unix_listener, NULL, NULL);
	if (a < 0)
		die("unix accept");
	close(s);
	close(a);
}

static void op_exec_enoexec(void)
{
	char *const argv[] = { BENCH_NOEXEC, NULL }, *const envp[] = { NULL };

	if (syscall(SYS_execve, BENCH_NOEXEC, argv, envp) != -1 || errno != ENOEXEC)
		die("execve (ENOEXEC expected)");
}

/* setuid() to the uid it has (root): no change, both checks made. */
static void op_setuid(void)
{
	if (syscall(SYS_setuid, getuid()))
		die("setuid");
}

/* The cheapest capable() call found: the host name set to what it is. */
static void op_sethostname(void)
{
	if (sethostname(hostname, strlen(hostname)))
		die("sethostname");
}

static void op_ioctl(void)
{
	int n;

	if (ioctl(map_fd, FIONREAD, &n))
		die("ioctl");
}

/* task_prctl's hook is always on (Checmate's own prctl API goes through it). */
static void op_prctl(void)
{
	prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

/* So is bpf's (its pre function guards locked hooks). */
static void op_bpf(void)
{
	union bpf_attr attr;
	__u32 key = 0;
	__u64 value;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = array_map;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&value;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr))
		die("BPF_MAP_LOOKUP_ELEM");
}

/*
 * The operations, each with the hooks (of hooks[]) it crosses, where
 * programs are attached for its rows. The "checmate" mode checks the lists
 * against what each operation really crosses (CROSS lines). Probes have
 * none: they are measured idle only (always-on hooks).
 */
static const struct {
	const char *name;
	void (*fn)(void);
	int iters;
	const char *hooks;	/* space-separated, or NULL for a probe */
} ops[] = {
	{ "open_close", op_open, 20000, "file_open" },
	{ "socket_connect_close", op_connect, 5000, "socket_create socket_connect" },
	{ "fork_wait", op_fork, 500, "task_alloc" },
	{ "fork_exec_wait", op_exec, 200, "task_alloc file_open file_permission "
	  "bprm_creds_for_exec bprm_check_security bprm_creds_from_file mmap_file file_mprotect "
	  "inode_follow_link" },
	{ "mkdir_rmdir", op_mkdir, 5000, "path_mkdir path_rmdir" },
	{ "mmap_munmap", op_mmap, 10000, "mmap_file" },
	{ "unix_connect_accept", op_unix, 2000,
	  "socket_create socket_connect unix_stream_connect socket_accept" },
	{ "exec_enoexec", op_exec_enoexec, 2000,
	  "file_open file_permission bprm_creds_for_exec bprm_check_security" },
	{ "setuid_same", op_setuid, 10000, "capable task_fix_setuid" },
	{ "sethostname_capable", op_sethostname, 10000, "capable" },
	{ "ioctl_fionread", op_ioctl, 20000, "file_ioctl" },
	{ "prctl_get_dumpable", op_prctl, 20000, NULL },
	{ "bpf_map_lookup", op_bpf, 20000, NULL },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* Does operation @o attach to hooks[@h]? */
static int op_uses(size_t o, size_t h)
{
	const char *p = ops[o].hooks;
	size_t n = strlen(hooks[h].name);

	while (p && (p = strstr(p, hooks[h].name))) {
		if ((p == ops[o].hooks || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/* What the operations work on. */
static void ops_setup(void)
{
	static const char page[4096];
	union bpf_attr attr;
	int fd;

	fd = open("/tmp/checmate-bench", O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		die("create");
	close(fd);
	rmdir(BENCH_DIR);
	map_fd = open(BENCH_MAP, O_CREAT | O_RDWR, 0600);
	if (map_fd < 0 || pwrite(map_fd, page, sizeof(page), 0) != sizeof(page))
		die(BENCH_MAP);
	fd = open(BENCH_NOEXEC, O_CREAT | O_WRONLY | O_TRUNC, 0700);
	if (fd < 0 || write(fd, "noexec\n", 7) != 7)
		die(BENCH_NOEXEC);
	close(fd);
	unlink(BENCH_SOCK);
	unix_listener = socket(AF_UNIX, SOCK_STREAM, 0);
	if (unix_listener < 0 ||
	    bind(unix_listener, (struct sockaddr *)&unix_addr, sizeof(unix_addr)) ||
	    listen(unix_listener, 16))
		die("unix listener");
	if (gethostname(hostname, sizeof(hostname) - 1))
		die("gethostname");
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	array_map = sys_bpf(BPF_MAP_CREATE, &attr);
	if (array_map < 0)
		die("BPF_MAP_CREATE");
}

/* The hooks each operation attaches to: "OPHOOKS <op> <hook>...". */
static void print_ophooks(void)
{
	for (size_t o = 0; o < NOPS; o++) {
		if (!ops[o].hooks)
			continue;
		printf("OPHOOKS %s", ops[o].name);
		for (size_t h = 0; h < NHOOKS; h++)
			if (op_uses(o, h))
				printf(" %s", hooks[h].name);
		printf("\n");
	}
}

static long long idle_ns(void);

/*
 * One operation, timed; guest time the CPU spent idle meanwhile (waiting
 * for a worker or a grace period, counted in ticks) is reported apart:
 * "IDLE <config> <op> <idle ns per op>".
 */
static void measure_op(const char *config, size_t o)
{
	long long t0, t1, i0;

	for (int i = 0; i < ops[o].iters / 10; i++)
		ops[o].fn();
	i0 = idle_ns();
	t0 = now();
	for (int i = 0; i < ops[o].iters; i++)
		ops[o].fn();
	t1 = now();
	i0 = idle_ns() - i0;
	printf("BENCH %s %s %lld\n", config, ops[o].name, (t1 - t0) / ops[o].iters);
	if (i0)
		printf("IDLE %s %s %lld\n", config, ops[o].name, i0 / ops[o].iters);
	fflush(stdout);
}

/* Every operation; the probes (always-on hooks) too with @probes. */
static void measure(const char *config, int probes)
{
	for (size_t o = 0; o < NOPS; o++)
		if (ops[o].hooks || probes)
			measure_op(config, o);
}

/* Attach programs [from, to) of every hook operation @o crosses. */
static void attach_op(int bpf_lsm, size_t o, int from, int to)
{
	for (size_t h = 0; h < NHOOKS; h++) {
		if (!op_uses(o, h))
			continue;
		for (int i = from; i < to; i++) {
			lsm_links[h][i] = attach_prog(bpf_lsm, hooks[h].hook,
						      bpf_lsm ? lsm_progs[h][i] : cm_progs[h][i]);
			if (lsm_links[h][i] < 0)
				die("attach");
		}
	}
}

/* Detach them again, and let what they leave to RCU and workers run. */
static void detach_op(int bpf_lsm, size_t o, int n)
{
	for (size_t h = 0; h < NHOOKS; h++) {
		if (!op_uses(o, h))
			continue;
		for (int i = n - 1; i >= 0; i--)
			detach_prog(bpf_lsm, hooks[h].hook,
				    bpf_lsm ? lsm_progs[h][i] : cm_progs[h][i], lsm_links[h][i]);
	}
	sleep(1);
}

/*
 * One, then NPROGS programs on the hooks of each operation in turn, the
 * operation measured with each (configurations <lsm>-1 and <lsm>-8).
 */
static void measure_attached(int bpf_lsm, const char *lsm)
{
	char c1[32], c8[32];

	snprintf(c1, sizeof(c1), "%s-1", lsm);
	snprintf(c8, sizeof(c8), "%s-%d", lsm, NPROGS);
	for (size_t o = 0; o < NOPS; o++) {
		if (!ops[o].hooks)
			continue;
		attach_op(bpf_lsm, o, 0, 1);
		measure_op(c1, o);
		attach_op(bpf_lsm, o, 1, NPROGS);
		measure_op(c8, o);
		detach_op(bpf_lsm, o, NPROGS);
	}
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

struct egress_key {
	__u32 family, port, addr[4];
};

/* Put @n keys of @size bytes at @keys, each with value 1, into @map. */
static void map_fill(int map, const void *keys, size_t size, long n)
{
	static __u8 ones[8192];
	const long chunk = sizeof(ones);
	union bpf_attr attr;

	memset(ones, 1, sizeof(ones));
	for (long i = 0; i < n; i += chunk) {
		long cnt = n - i < chunk ? n - i : chunk;

		memset(&attr, 0, sizeof(attr));
		attr.batch.map_fd = map;
		attr.batch.keys = (unsigned long)((const char *)keys + i * size);
		attr.batch.values = (unsigned long)ones;
		attr.batch.count = cnt;
		if (sys_bpf(BPF_MAP_UPDATE_BATCH, &attr) || attr.batch.count != cnt)
			die("BPF_MAP_UPDATE_BATCH");
	}
}

/* The kernel's own account of a map's memory (fdinfo "memlock"), in bytes. */
static long map_memlock(int map)
{
	char path[64], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", map);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * Fill the egress policy's maps: @n allowed (address, port) pairs, n - 1
 * other hosts (10.x.y.z, port 443) and last the one connected to.
 */
static void egress_setup(const char *dir, const char *config, long n)
{
	int allow = obj_get(dir, "egress_allow"), cgroups = obj_get(dir, "egress_cgroup");
	int cg = open(BENCH_CGROUP, O_RDONLY | O_DIRECTORY);
	struct egress_key *keys = calloc(n, sizeof(*keys));
	__u32 zero = 0, cg_fd = cg;

	if (cg < 0)
		die(BENCH_CGROUP);
	if (!keys)
		die("calloc");
	map_update(cgroups, &zero, &cg_fd);
	for (long i = 0; i < n; i++) {
		keys[i].family = AF_INET;
		keys[i].port = i < n - 1 ? 443 : 9;
		keys[i].addr[0] = i < n - 1 ? htonl(0x0a000000 + i) : htonl(INADDR_LOOPBACK);
	}
	map_fill(allow, keys, sizeof(*keys), n);
	printf("INFO %s_%ld_map_bytes %ld\n", config, n, map_memlock(allow));
	free(keys);
	close(cg);
	close(allow);
	close(cgroups);
}

/*
 * Fill the LPM-trie variant's trie (tools/bench/egress_lpm.bpf.c): @n
 * adjacent /30 networks from 127.0.0.0 up, the connected address
 * (127.0.0.1) in the first. The trie is then as deep as @n makes it
 * (about log2(@n) nodes to the match).
 */
static void egress_lpm_setup(const char *dir, const char *config, long n)
{
	struct cidr_key {
		__u32 prefixlen, addr;
	} *keys = calloc(n, sizeof(*keys));
	int trie = obj_get(dir, "egress_cidr");

	if (!keys)
		die("calloc");
	for (long i = 0; i < n; i++) {
		keys[i].prefixlen = 30;
		keys[i].addr = htonl(INADDR_LOOPBACK - 1 + 4 * (__u32)i);
	}
	map_fill(trie, keys, sizeof(*keys), n);
	printf("INFO %s_%ld_map_bytes %ld\n", config, n, map_memlock(trie));
	free(keys);
	close(trie);
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

/* now() called twice in a row: subtracted from single-operation timings. */
static long long clock_cost(void)
{
	long long best = -1;

	for (int i = 0; i < 100; i++) {
		long long t0 = now(), t1 = now();

		if (best < 0 || t1 - t0 < best)
			best = t1 - t0;
	}
	return best;
}

/* Guest time the CPU spent idle so far (/proc/stat: idle + iowait), in ns. */
static long long idle_ns(void)
{
	unsigned long long user, nice, sys, idle, iowait;
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		die("/proc/stat");
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait);
	fclose(f);
	if (n != 5)
		die("/proc/stat");
	return (idle + iowait) * (1000000000LL / sysconf(_SC_CLK_TCK));
}

#define CURVE_ITERS 10000
#define LAT_REPS 3

/*
 * Programs per hook: file_open from 0 to 64 programs. Before each attach,
 * the same program is attached and detached LAT_REPS times, each timed
 * alone; the smallest (no timer interrupt in it) is printed. BPF LSM stops
 * where its trampoline is full (BPF_MAX_TRAMP_LINKS).
 */
static void curve(int bpf)
{
	static const int points[] = { 0, 1, 2, 4, 8, 16, 32, 64 };
	const char *name = bpf ? "bpf-lsm" : "checmate";
	const unsigned int hook = CHECMATE_HOOK_FILE_OPEN;
	int *progs = bpf ? curve_lsm : curve_cm;
	int links[CURVE_MAX], n = 0;
	long long cc = clock_cost(), lat_total = 0, lat_idle = 0;

	printf("INFO clock_pair_ns %lld\n", cc);
	for (size_t p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
		long long t0;

		for (; n < points[p]; n++) {
			long long best_a = -1, best_d = -1;

			long long i0 = idle_ns(), l0 = now();

			for (int r = 0; r < LAT_REPS; r++) {
				long long t1, t2, t3;
				int link;

				t1 = now();
				link = attach_prog(bpf, hook, progs[n]);
				t2 = now();
				if (link < 0)
					goto full;
				detach_prog(bpf, hook, progs[n], link);
				t3 = now();
				if (best_a < 0 || t2 - t1 < best_a)
					best_a = t2 - t1;
				if (best_d < 0 || t3 - t2 < best_d)
					best_d = t3 - t2;
			}
			lat_total += now() - l0;
			lat_idle += idle_ns() - i0;
			printf("LAT %s attach %d %lld\nLAT %s detach %d %lld\n",
			       name, n, best_a - cc, name, n, best_d - cc);
			links[n] = attach_prog(bpf, hook, progs[n]);
			if (links[n] < 0)
				goto full;
		}
		for (int i = 0; i < CURVE_ITERS / 10; i++)
			op_open();
		t0 = now();
		for (int i = 0; i < CURVE_ITERS; i++)
			op_open();
		printf("CURVE %s %d %lld\n", name, n, (now() - t0) / CURVE_ITERS);
		fflush(stdout);
	}
	goto out;
full:
	printf("INFO %s_file_open_max_progs %d\nINFO %s_file_open_full_errno %d\n",
	       name, n, name, errno);
out:
	/* How much of the attach/detach time the CPU waited (e.g. for RCU). */
	printf("INFO %s_lat_total_ns %lld\nINFO %s_lat_idle_ns %lld\n", name, lat_total,
	       name, lat_idle);
	for (int i = n - 1; i >= 0; i--)
		detach_prog(bpf, hook, progs[i], links[i]);
	fflush(stdout);
}

/*
 * Checmate's hooks by number; BPF LSM's are bpf_lsm_<name>. The memory
 * benchmark uses these, on both sides (hooks added later are not in it).
 */
static const char *const hook_names[] = {
	[CHECMATE_HOOK_SOCKET_CREATE] = "socket_create",
	[CHECMATE_HOOK_SOCKET_BIND] = "socket_bind",
	[CHECMATE_HOOK_SOCKET_CONNECT] = "socket_connect",
	[CHECMATE_HOOK_SOCKET_LISTEN] = "socket_listen",
	[CHECMATE_HOOK_SOCKET_ACCEPT] = "socket_accept",
	[CHECMATE_HOOK_SOCKET_SENDMSG] = "socket_sendmsg",
	[CHECMATE_HOOK_SOCKET_RECVMSG] = "socket_recvmsg",
	[CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB] = "socket_sock_rcv_skb",
	[CHECMATE_HOOK_INET_CONN_REQUEST] = "inet_conn_request",
	[CHECMATE_HOOK_FILE_OPEN] = "file_open",
	[CHECMATE_HOOK_FILE_PERMISSION] = "file_permission",
	[CHECMATE_HOOK_INODE_CREATE] = "inode_create",
	[CHECMATE_HOOK_TASK_ALLOC] = "task_alloc",
	[CHECMATE_HOOK_BPRM_CHECK_SECURITY] = "bprm_check_security",
	[CHECMATE_HOOK_PTRACE_ACCESS_CHECK] = "ptrace_access_check",
	[CHECMATE_HOOK_PTRACE_TRACEME] = "ptrace_traceme",
	[CHECMATE_HOOK_TASK_KILL] = "task_kill",
	[CHECMATE_HOOK_SB_MOUNT] = "sb_mount",
	[CHECMATE_HOOK_SB_UMOUNT] = "sb_umount",
	[CHECMATE_HOOK_PATH_CHROOT] = "path_chroot",
	[CHECMATE_HOOK_PATH_MKNOD] = "path_mknod",
	[CHECMATE_HOOK_PATH_MKDIR] = "path_mkdir",
	[CHECMATE_HOOK_PATH_SYMLINK] = "path_symlink",
	[CHECMATE_HOOK_PATH_LINK] = "path_link",
	[CHECMATE_HOOK_PATH_RENAME] = "path_rename",
	[CHECMATE_HOOK_SB_KERN_MOUNT] = "sb_kern_mount",
	[CHECMATE_HOOK_MOVE_MOUNT] = "move_mount",
	[CHECMATE_HOOK_SB_PIVOTROOT] = "sb_pivotroot",
	[CHECMATE_HOOK_UNIX_STREAM_CONNECT] = "unix_stream_connect",
	[CHECMATE_HOOK_UNIX_MAY_SEND] = "unix_may_send",
	[CHECMATE_HOOK_USERNS_CREATE] = "userns_create",
	[CHECMATE_HOOK_BPRM_CREDS_FROM_FILE] = "bprm_creds_from_file",
	[CHECMATE_HOOK_MMAP_FILE] = "mmap_file",
	[CHECMATE_HOOK_FILE_MPROTECT] = "file_mprotect",
	[CHECMATE_HOOK_KERNEL_MODULE_REQUEST] = "kernel_module_request",
	[CHECMATE_HOOK_KERNEL_READ_FILE] = "kernel_read_file",
	[CHECMATE_HOOK_KERNEL_LOAD_DATA] = "kernel_load_data",
	[CHECMATE_HOOK_CAPABLE] = "capable",
	[CHECMATE_HOOK_TASK_FIX_SETUID] = "task_fix_setuid",
	[CHECMATE_HOOK_TASK_FIX_SETGID] = "task_fix_setgid",
	[CHECMATE_HOOK_CAPSET] = "capset",
	[CHECMATE_HOOK_TASK_PRCTL] = "task_prctl",
	[CHECMATE_HOOK_PATH_UNLINK] = "path_unlink",
	[CHECMATE_HOOK_PATH_RMDIR] = "path_rmdir",
	[CHECMATE_HOOK_PATH_TRUNCATE] = "path_truncate",
	[CHECMATE_HOOK_PATH_CHMOD] = "path_chmod",
	[CHECMATE_HOOK_PATH_CHOWN] = "path_chown",
	[CHECMATE_HOOK_FILE_TRUNCATE] = "file_truncate",
	[CHECMATE_HOOK_FILE_IOCTL] = "file_ioctl",
	[CHECMATE_HOOK_FILE_IOCTL_COMPAT] = "file_ioctl_compat",
	[CHECMATE_HOOK_FILE_RECEIVE] = "file_receive",
	[CHECMATE_HOOK_SOCKET_SETSOCKOPT] = "socket_setsockopt",
	[CHECMATE_HOOK_BPRM_CREDS_FOR_EXEC] = "bprm_creds_for_exec",
	[CHECMATE_HOOK_SB_REMOUNT] = "sb_remount",
	[CHECMATE_HOOK_FILE_SEND_SIGIOTASK] = "file_send_sigiotask",
	[CHECMATE_HOOK_TASK_SETNICE] = "task_setnice",
	[CHECMATE_HOOK_INODE_SETXATTR] = "inode_setxattr",
	[CHECMATE_HOOK_INODE_INIT_SECURITY_ANON] = "inode_init_security_anon",
	[CHECMATE_HOOK_NETLINK_SEND] = "netlink_send",
	[CHECMATE_HOOK_BPF] = "bpf",
	[CHECMATE_HOOK_INODE_FOLLOW_LINK] = "inode_follow_link",
	[CHECMATE_HOOK_INODE_REMOVEXATTR] = "inode_removexattr",
	[CHECMATE_HOOK_INODE_SET_ACL] = "inode_set_acl",
	[CHECMATE_HOOK_INODE_REMOVE_ACL] = "inode_remove_acl",
	[CHECMATE_HOOK_TASK_SETSCHEDULER] = "task_setscheduler",
	[CHECMATE_HOOK_TASK_FIX_SETGROUPS] = "task_fix_setgroups",
};

#define NNAMED ((int)(sizeof(hook_names) / sizeof(hook_names[0])))

/* Each hook's runs counter, from /sys/kernel/security/checmate/hooks. */
static void read_runs(long long runs[NNAMED])
{
	FILE *f = fopen("/sys/kernel/security/checmate/hooks", "r");
	char line[4096], name[64];

	if (!f)
		die("/sys/kernel/security/checmate/hooks");
	memset(runs, 0, NNAMED * sizeof(runs[0]));
	while (fgets(line, sizeof(line), f)) {
		char *r = strstr(line, " runs=");

		if (!r || sscanf(line, "%63s", name) != 1)
			continue;
		for (int h = 1; h < NNAMED; h++)
			if (hook_names[h] && !strcmp(hook_names[h], name))
				runs[h] = atoll(r + 6);
	}
	fclose(f);
}

#define CROSS_ITERS 10

/*
 * Which Checmate hooks each operation crosses, and how often: one allow-all
 * program on every hook, each operation run CROSS_ITERS times between two
 * readings of the hooks' runs counters (less what a reading itself
 * crosses). Lines "CROSS <op> <hook> <runs> <iterations>".
 */
static void cross(void)
{
	static long long a[NNAMED], b[NNAMED], c[NNAMED];
	int fds[NNAMED];

	for (int h = 1; h < NNAMED; h++) {
		fds[h] = -1;
		if (!hook_names[h])
			continue;
		fds[h] = load(BPF_PROG_TYPE_CHECMATE, h, 0);
		if (fds[h] < 0 || attach_prog(0, h, fds[h]))
			die("cross: attach");
	}
	for (size_t o = 0; o < NOPS; o++) {
		read_runs(a);
		read_runs(b);
		for (int i = 0; i < CROSS_ITERS; i++)
			ops[o].fn();
		read_runs(c);
		for (int h = 1; h < NNAMED; h++) {
			long long n = (c[h] - b[h]) - (b[h] - a[h]);

			if (n > 0)
				printf("CROSS %s %s %lld %d\n", ops[o].name, hook_names[h], n,
				       CROSS_ITERS);
		}
	}
	for (int h = 1; h < NNAMED; h++) {
		if (fds[h] < 0)
			continue;
		if (prctl(PR_CHECMATE, CHECMATE_OP_RESET, h, 0, 0))
			die("CHECMATE_OP_RESET");
		close(fds[h]);
	}
	fflush(stdout);
}

/* An allow-all BPF LSM program on bpf_lsm_<name>, or -1. */
static int load_lsm(const char *name)
{
	char fn[64];
	int id;

	snprintf(fn, sizeof(fn), "bpf_lsm_%s", name);
	id = btf_func_id(fn);
	return id < 0 ? -1 : load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id);
}

static void meminfo(const char *lsm, const char *step, int attaches)
{
	static const char *const keys[] = { "MemFree", "Slab", "SUnreclaim", "Percpu",
					    "VmallocUsed" };
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256], key[64];
	long kb;

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (sscanf(line, "%63[^:]: %ld", key, &kb) == 2 && !strcmp(key, keys[k]))
				printf("MEM %s %s %d %s %ld\n", lsm, step, attaches, key, kb);
	fclose(f);
	fflush(stdout);
}

/* Let deferred frees (RCU, RCU tasks, workqueues) run before a reading. */
static void settle(void)
{
	for (int i = 0; i < 3; i++) {
		sync();
		sleep(1);
	}
}

#define MEM_PROGS 32

/*
 * Memory of attached programs: MEM_PROGS loaded programs on every hook both
 * LSMs have (of hook_names, but task_prctl), /proc/meminfo read before any
 * is attached, after the first on each hook, after the other MEM_PROGS - 1, and after detaching them all.
 * The programs are loaded before the first reading: only what attaching
 * allocates is counted.
 */
static void memory(int bpf)
{
	const char *lsm = bpf ? "bpf-lsm" : "checmate";
	static int fds[NNAMED][MEM_PROGS], links[NNAMED][MEM_PROGS];
	int usable[NNAMED] = { 0 }, nhooks = 0, n;
	struct rlimit rl = { 16384, 16384 };

	/*
	 * MEM_PROGS programs on each of some 65 hooks, each an fd, and as
	 * many BPF LSM links: over 4,096.
	 */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE");
	for (int h = 1; h < NNAMED; h++) {
		int i;

		/*
		 * Not task_prctl: an allow-all BPF LSM program there makes
		 * every prctl() return 0 without doing anything.
		 */
		if (!hook_names[h] || !strcmp(hook_names[h], "task_prctl"))
			continue;
		for (i = 0; i < MEM_PROGS; i++) {
			fds[h][i] = bpf ? load_lsm(hook_names[h]) :
					  load(BPF_PROG_TYPE_CHECMATE, h, 0);
			if (fds[h][i] < 0)
				break;
		}
		if (i == MEM_PROGS) {
			usable[h] = 1;
			nhooks++;
		} else {
			printf("INFO %s_mem_skipped_hook_%d %d\n", lsm, h, errno);
			while (i-- > 0)
				close(fds[h][i]);
		}
	}
	settle();
	meminfo(lsm, "before", 0);
	n = 0;
	for (int h = 1; h < NNAMED; h++) {
		if (!usable[h])
			continue;
		links[h][0] = attach_prog(bpf, h, fds[h][0]);
		if (links[h][0] < 0)
			die("attach (memory)");
		n++;
	}
	settle();
	meminfo(lsm, "first", n);
	n = 0;
	for (int h = 1; h < NNAMED; h++) {
		if (!usable[h])
			continue;
		for (int i = 1; i < MEM_PROGS; i++) {
			links[h][i] = attach_prog(bpf, h, fds[h][i]);
			if (links[h][i] < 0)
				die("attach (memory)");
			n++;
		}
	}
	settle();
	meminfo(lsm, "more", n);
	for (int h = 1; h < NNAMED; h++) {
		if (!usable[h])
			continue;
		for (int i = MEM_PROGS - 1; i >= 0; i--)
			detach_prog(bpf, h, fds[h][i], links[h][i]);
	}
	settle();
	meminfo(lsm, "detached", 0);
	printf("INFO %s_mem_hooks %d\nINFO %s_mem_progs_per_hook %d\n", lsm, nhooks, lsm,
	       MEM_PROGS);
}

#define MACRO_CGROUP "/sys/fs/cgroup/container"	/* what the samples' .toml files aim at */
#define MACRO_TAR "/tmp/macro-tree.tar"
#define MACRO_DIRS 40
#define MACRO_FILES 50		/* per directory: 2,000 files */
#define MACRO_CONNS 2000
/* Allowed by samples/egress_allowlist.toml and ingress_filter.toml. */
#define MACRO_PORT 4242
#define MACRO_REPS 3

/* Run a command (found in PATH) and wait for it; it must succeed. */
static void run_cmd(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die(argv[0]);
}

/* The tree the macro benchmark unpacks, as a tar file made with busybox tar. */
static void macro_prep(void)
{
	static char buf[8192];
	char path[128];
	long bytes = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 'a' + i % 26;
	mkdir("/tmp/macro-src", 0755);
	for (int d = 0; d < MACRO_DIRS; d++) {
		snprintf(path, sizeof(path), "/tmp/macro-src/d%02d", d);
		if (mkdir(path, 0755))
			die(path);
		for (int f = 0; f < MACRO_FILES; f++) {
			/* 0 to 8191 bytes, spread evenly: 4 KiB on average. */
			size_t len = ((d * MACRO_FILES + f) * 7919UL) % sizeof(buf);
			int fd;

			snprintf(path, sizeof(path), "/tmp/macro-src/d%02d/f%02d.txt", d, f);
			fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
			if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
				die(path);
			close(fd);
			bytes += len;
		}
	}
	run_cmd((char *const[]){ "tar", "-cf", MACRO_TAR, "-C", "/tmp/macro-src", ".", NULL });
	run_cmd((char *const[]){ "rm", "-rf", "/tmp/macro-src", NULL });
	printf("INFO macro_files %d\nINFO macro_dirs %d\nINFO macro_bytes %ld\n",
	       MACRO_DIRS * MACRO_FILES, MACRO_DIRS, bytes);
}

/* Read every file under @dir to its end; returns the bytes read. */
static long read_tree(const char *dir)
{
	static char buf[65536];
	DIR *d = opendir(dir);
	struct dirent *e;
	long total = 0;

	if (!d)
		die(dir);
	while ((e = readdir(d))) {
		char path[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			total += read_tree(path);
		} else {
			int fd = open(path, O_RDONLY);
			ssize_t n;

			if (fd < 0)
				die(path);
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				total += n;
			close(fd);
		}
	}
	closedir(d);
	return total;
}

static int tcp_listener(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(MACRO_PORT) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) || listen(s, 64))
		die("listener");
	return s;
}

/*
 * One loopback TCP exchange: connect, accept, 64 bytes sent and received,
 * both ends closed. The client closes with SO_LINGER 0 (a reset), so that
 * no TIME_WAIT socket is left to make later runs slower than earlier ones.
 */
static void tcp_once(int l)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(MACRO_PORT) };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[64] = "checmate";
	int c = socket(AF_INET, SOCK_STREAM, 0), a;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		die("tcp connect");
	a = accept(l, NULL, NULL);
	if (a < 0 || send(c, buf, sizeof(buf), 0) != sizeof(buf) ||
	    recv(a, buf, sizeof(buf), MSG_WAITALL) != sizeof(buf))
		die("tcp send/recv");
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
	close(a);
}

/*
 * The hooks of the samples other than egress_allowlist and ingress_filter,
 * which have no BPF LSM twin: there the BPF LSM configuration attaches an
 * allow-all program instead (a lower bound for a twin's cost).
 */
static const char *const twin_allow_all[] = {
	/* file_rate_limit */
	"path_mknod", "path_mkdir", "path_symlink", "path_link", "path_rename",
	"path_chroot", "sb_mount", "sb_kern_mount", "move_mount", "sb_pivotroot", /* hardchroot */
	"bprm_creds_from_file",			/* no_setid_exec */
	"userns_create",			/* no_userns */
	"socket_bind",				/* port_map */
	"sb_umount",				/* umount_locked */
	"unix_stream_connect", "unix_may_send",	/* unix_allowlist */
	"ptrace_access_check",			/* yama_ptrace */
};

#define NTWINS (sizeof(twin_allow_all) / sizeof(twin_allow_all[0]))

/* The twins' maps, as samples/egress_allowlist.toml and ingress_filter.toml fill the samples'. */
static void twin_maps(const char *egress_dir, const char *ingress_dir)
{
	struct egress_key ek[2] = {
		{ .family = AF_INET, .port = MACRO_PORT },
		{ .family = AF_INET, .port = 0 },
	};
	struct {
		__u64 cgroup_id;
		__u32 port, reserved;
	} cp[2];
	struct {
		__u64 cgroup_id;
		struct egress_key peer;	/* same layout as struct ingress_key */
	} ca;
	int cg = open(MACRO_CGROUP, O_RDONLY | O_DIRECTORY);
	__u32 zero = 0, cg_fd = cg;
	__u8 one = 1;
	struct stat st;
	int m;

	ek[0].addr[0] = htonl(INADDR_LOOPBACK);
	ek[1].addr[0] = htonl(0x0a000035);	/* 10.0.0.53 */
	if (cg < 0 || fstat(cg, &st))
		die(MACRO_CGROUP);
	if (!strcmp(egress_dir, "-"))
		goto ingress;
	m = obj_get(egress_dir, "egress_cgroup");
	map_update(m, &zero, &cg_fd);
	close(m);
	m = obj_get(egress_dir, "egress_allow");
	map_update(m, &ek[0], &one);
	map_update(m, &ek[1], &one);
	close(m);
ingress:
	if (!strcmp(ingress_dir, "-"))
		goto out;
	memset(cp, 0, sizeof(cp));
	/* A cgroup v2 id is the cgroup's inode number. */
	cp[0].cgroup_id = st.st_ino;
	cp[1].cgroup_id = st.st_ino;
	cp[0].port = MACRO_PORT;
	cp[1].port = 4244;
	m = obj_get(ingress_dir, "ingress_cg_ports");
	map_update(m, &cp[0], &one);
	map_update(m, &cp[1], &one);
	close(m);
	memset(&ca, 0, sizeof(ca));
	ca.cgroup_id = st.st_ino;
	ca.peer = ek[0];
	m = obj_get(ingress_dir, "ingress_cg_allow");
	map_update(m, &ca, &one);
	close(m);
out:
	close(cg);
}

/*
 * The macro benchmark, in MACRO_CGROUP: unpack MACRO_TAR with busybox tar
 * and read the tree back, then MACRO_CONNS loopback TCP exchanges; once to
 * warm up, then MACRO_REPS times, each phase timed. Every configuration
 * loads the same allow-all BPF LSM programs (state matching, as above);
 * with @twins 2 they are attached, and with @twins 1 or 2 the twins' maps
 * in @egress_dir and @ingress_dir ("-": that twin is not loaded) filled.
 */
static void macro(const char *config, int twins, const char *egress_dir, const char *ingress_dir)
{
	int fds[NTWINS], l;
	long bytes = 0;

	for (size_t i = 0; i < NTWINS; i++) {
		fds[i] = load_lsm(twin_allow_all[i]);
		if (fds[i] < 0)
			die(twin_allow_all[i]);
	}
	if (twins)
		twin_maps(egress_dir, ingress_dir);
	if (twins == 2) {
		for (size_t i = 0; i < NTWINS; i++)
			if (attach_prog(1, 0, fds[i]) < 0)	/* kept open: attached until exit */
				die(twin_allow_all[i]);
	}
	l = tcp_listener();
	mkdir("/tmp/macro", 0755);
	for (int rep = -1; rep < MACRO_REPS; rep++) {
		long long t0, t1, t2, t3;

		t0 = now();
		run_cmd((char *const[]){ "tar", "-xf", MACRO_TAR, "-C", "/tmp/macro", NULL });
		t1 = now();
		bytes = read_tree("/tmp/macro");
		t2 = now();
		run_cmd((char *const[]){ "rm", "-rf", "/tmp/macro", NULL });
		if (mkdir("/tmp/macro", 0755))
			die("/tmp/macro");
		t3 = now();
		for (int i = 0; i < (rep < 0 ? MACRO_CONNS / 10 : MACRO_CONNS); i++)
			tcp_once(l);
		if (rep >= 0)
			printf("MACRO %s unpack %d %lld\nMACRO %s readback %d %lld\n"
			       "MACRO %s tcp %d %lld\n", config, rep, t1 - t0, config, rep,
			       t2 - t1, config, rep, now() - t3);
		fflush(stdout);
	}
	printf("INFO macro_readback_bytes %ld\n", bytes);
	close(l);
}

/* Run in the cgroup every configuration is measured in. */
static void enter_cgroup(const char *cg)
{
	char path[128];
	int procs;

	mkdir(cg, 0755);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	procs = open(path, O_WRONLY);
	if (procs < 0 || write(procs, "0", 1) != 1)
		die(path);
	close(procs);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "noop"))
		return 0;
	self_exe = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "macro-prep")) {
		macro_prep();
		return 0;
	}
	if (!strcmp(mode, "macro") && (argc == 3 || (argc == 6 && (!strcmp(argv[3], "twins") ||
								 !strcmp(argv[3], "maps"))))) {
		enter_cgroup(MACRO_CGROUP);
		macro(argv[2], argc == 3 ? 0 : !strcmp(argv[3], "twins") ? 2 : 1,
		      argc == 6 ? argv[4] : NULL, argc == 6 ? argv[5] : NULL);
		return 0;
	}
	if (!strcmp(mode, "memory") && argc == 3) {
		memory(!strcmp(argv[2], "bpf"));
		return 0;
	}
	enter_cgroup(BENCH_CGROUP);
	ops_setup();
	if (!strcmp(mode, "idle") && argc == 3) {
		/* The operations and probes alone: no program loaded. */
		measure(argv[2], 1);
		return 0;
	}
	load_all();
	if (!strcmp(mode, "baseline")) {
		measure("baseline", 1);
	} else if (!strcmp(mode, "checmate") || !strcmp(mode, "bpf")) {
		int bpf = !strcmp(mode, "bpf");
		const char *name = bpf ? "bpf-lsm" : "checmate";
		char config[32];

		snprintf(config, sizeof(config), "%s-idle", name);
		measure(config, 1);
		curve(bpf);
		measure_attached(bpf, name);
		if (!bpf) {
			attach_detach();
			print_ophooks();
			cross();
		}
		prog_info(bpf ? "bpf_lsm_prog" : "checmate_prog", bpf ? lsm_progs[0][0] : cm_progs[0][0]);
	} else if (!strcmp(mode, "egress") && (argc == 5 || argc == 6)) {
		int bpf = !strncmp(argv[2], "bpf", 3), lpm = !!strstr(argv[2], "lpm");
		long n = atol(argv[4]);
		long long t0;

		if (n < 1)
			die("entries");
		if (lpm)
			egress_lpm_setup(argv[3], argv[2], n);
		else
			egress_setup(argv[3], argv[2], n);
		for (int i = 0; i < 500; i++)
			op_connect();
		t0 = now();
		for (int i = 0; i < 5000; i++)
			op_connect();
		printf("EGRESS %s %ld %lld\n", argv[2], n, (now() - t0) / 5000);
		if (argc == 6)
			measure(argv[2], 0);
		if (lpm)
			named_prog_info(bpf ? "egress_lpm_lsm" : "egress_lpm_policy",
					bpf ? "egress_lpm_lsm" : "egress_lpm_conn");
		else
			named_prog_info(bpf ? "egress_lsm" : "egress_policy",
					bpf ? "egress_lsm" : "egress_conn");
	} else {
		fprintf(stderr, "usage: checmate-bench baseline|checmate|bpf\n"
			"       checmate-bench idle CONFIG\n"
			"       checmate-bench egress CONFIG PIN_DIR ENTRIES [all]\n"
			"       checmate-bench memory checmate|bpf\n"
			"       checmate-bench macro-prep\n"
			"       checmate-bench macro CONFIG [twins|maps EGRESS_PIN_DIR "
			"INGRESS_PIN_DIR]\n");
		return 2;
	}
	return 0;
}
