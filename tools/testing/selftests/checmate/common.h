/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checmate selftests: raw BPF and prctl helpers.
 *
 * The programs are built from instructions here rather than compiled, so that
 * each test states exactly what the verifier and the hook see.
 */
#ifndef CHECMATE_SELFTESTS_COMMON_H
#define CHECMATE_SELFTESTS_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/checmate.h>
#include <linux/prctl.h>
#include <linux/version.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define RSH64_IMM(d, i)		INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define LDX_MEM(sz, d, s, o)	INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX_MEM(sz, d, s, o)	INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_MEM(sz, d, o, i)	INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define JNE_IMM(d, i, o)	INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JEQ_IMM(d, i, o)	INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define CALL(f)			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* Two instructions: load a map fd as a map pointer. */
#define LD_MAP_FD(d, fd) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The errno test programs deny with: one no syscall here returns itself. */
#define DENY_ERRNO EDOM

static inline long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static char verifier_log[65536];

/* Load a program; returns its fd, or -1 with errno set. */
static inline int load_prog_type(enum bpf_prog_type type, unsigned int hook,
				 const struct bpf_insn *insns, size_t cnt,
				 unsigned int kern_version)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.expected_attach_type = hook;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = cnt;
	attr.license = (uintptr_t)"GPL";
	attr.kern_version = kern_version;
	attr.log_buf = (uintptr_t)verifier_log;
	attr.log_size = sizeof(verifier_log);
	attr.log_level = 1;
	verifier_log[0] = 0;
	return sys_bpf(BPF_PROG_LOAD, &attr);
}

static inline int load_prog(unsigned int hook, const struct bpf_insn *insns,
			    size_t cnt)
{
	return load_prog_type(BPF_PROG_TYPE_CHECMATE, hook, insns, cnt, 0);
}

/* A program that returns @ret. */
static inline int load_ret(unsigned int hook, int ret)
{
	const struct bpf_insn insns[] = { MOV64_IMM(0, ret), EXIT() };

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

/* A program that returns -@err when the caller's tgid is @tgid, else 0. */
static inline int load_deny_tgid(unsigned int hook, int tgid, int err)
{
	const struct bpf_insn insns[] = {
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, tgid, 2),
		MOV64_IMM(0, -err),
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

/* A program that returns -@err when the context's u32 at @off is @val. */
static inline int load_deny_field32(unsigned int hook, int off, int val, int err)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, 2, 1, off),
		JNE_IMM(2, val, 2),
		MOV64_IMM(0, -err),
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

/* As load_deny_field32(), on a u64 field. */
static inline int load_deny_field64(unsigned int hook, int off, int val, int err)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_DW, 2, 1, off),
		JNE_IMM(2, val, 2),
		MOV64_IMM(0, -err),
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

/*
 * A program that returns -@err when the caller's tgid is @tgid (unless
 * @tgid is 0) and the context's field at @off, of 4 or 8 bytes, is @val.
 */
static inline int load_deny_if(unsigned int hook, int tgid, int off, int size,
			       long long val, int err)
{
	struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, tgid, 6),
		LDX_MEM(size == 8 ? BPF_DW : BPF_W, 2, 6, off),
		/* r3 = val (64 bits) */
		INSN(BPF_LD | BPF_DW | BPF_IMM, 3, 0, 0, (__u32)val),
		INSN(0, 0, 0, 0, (__u32)((unsigned long long)val >> 32)),
		INSN(BPF_JMP | BPF_JNE | BPF_X, 2, 3, 2, 0),
		MOV64_IMM(0, -err),
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	const struct bpf_insn *start = insns;
	size_t cnt = ARRAY_LEN(insns);

	if (!tgid) {
		/* No current task (softirq hooks): test the field only. */
		insns[4].src_reg = 1;
		start = insns + 4;
		cnt -= 4;
	}
	return load_prog(hook, start, cnt);
}

/* A map with 4-byte keys; fd or -1 with errno. */
static inline int cm_map_create(enum bpf_map_type type, __u32 value_size, __u32 max,
				int inner_fd, __u32 flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = 4;
	attr.value_size = value_size;
	attr.max_entries = max;
	attr.inner_map_fd = inner_fd;
	attr.map_flags = flags;
	return sys_bpf(BPF_MAP_CREATE, &attr);
}

/* BPF_MAP_UPDATE_ELEM, _LOOKUP_ELEM, _DELETE_ELEM of a 4-byte @key. */
static inline int cm_map_elem(int cmd, int fd, __u32 key, const void *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)value;
	return sys_bpf(cmd, &attr);
}

/*
 * The tail of a "copy the context" program, appended at insns[*n]: look up
 * key 0 of @map (r6 holds the context), copy the first @ctx_size bytes of
 * the context into the value, add one to the u64 at @runs_off of the
 * value, and return @ret; a failed lookup, and every jump recorded in
 * @skip (@nskip of them, emitted with off 0 by the caller's checks), land
 * on a final "return 0". Returns the program's length.
 */
static inline int emit_copy_tail(struct bpf_insn *insns, int n, int map, int ctx_size,
				 int runs_off, int ret, int *skip, int nskip)
{
	insns[n++] = ST_MEM(BPF_W, 10, -4, 0);
	insns[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map);
	insns[n++] = INSN(0, 0, 0, 0, 0);
	insns[n++] = MOV64_REG(2, 10);
	insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
	insns[n++] = CALL(BPF_FUNC_map_lookup_elem);
	skip[nskip++] = n;
	insns[n++] = JEQ_IMM(0, 0, 0);
	for (int i = 0; i < ctx_size; i += 8) {
		insns[n++] = LDX_MEM(BPF_DW, 2, 6, i);
		insns[n++] = STX_MEM(BPF_DW, 0, 2, i);
	}
	insns[n++] = LDX_MEM(BPF_DW, 2, 0, runs_off);
	insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 1);
	insns[n++] = STX_MEM(BPF_DW, 0, 2, runs_off);
	insns[n++] = MOV64_IMM(0, ret);
	insns[n++] = EXIT();
	for (int i = 0; i < nskip; i++)
		insns[skip[i]].off = n - skip[i] - 1;
	insns[n++] = MOV64_IMM(0, 0);
	insns[n++] = EXIT();
	return n;
}

/* prctl(PR_CHECMATE, ...): 0 or -1 with errno. */
static inline int checmate(unsigned long op, unsigned long a3, unsigned long a4,
			   unsigned long a5)
{
	return prctl(PR_CHECMATE, op, a3, a4, a5);
}

static inline int cm_attach(unsigned int hook, int fd)
{
	return checmate(CHECMATE_OP_ATTACH, hook, fd, 0);
}

static inline int cm_detach(unsigned int hook, int fd)
{
	return checmate(CHECMATE_OP_DETACH, hook, fd, 0);
}

/* Query @hook; fills @q and up to @cap ids. */
static inline int cm_query(unsigned int hook, struct checmate_query *q,
			   __u32 *ids, __u32 cap)
{
	memset(q, 0, sizeof(*q));
	q->prog_cnt = cap;
	q->prog_ids = (uintptr_t)ids;
	return checmate(CHECMATE_OP_QUERY, hook, (uintptr_t)q, 0);
}

/* The id of the program behind @fd. */
static inline __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return 0;
	return info.id;
}

/* Is program @id attached to @hook? */
static inline int attached(unsigned int hook, __u32 id)
{
	struct checmate_query q;
	__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];

	if (cm_query(hook, &q, ids, ARRAY_LEN(ids)))
		return -1;
	for (__u32 i = 0; i < q.prog_cnt; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/*
 * The cgroup v2 id of the calling process's cgroup: the inode number of
 * its directory, as bpf_get_current_cgroup_id() and the contexts'
 * cgroup_id give it. 0 if it cannot be found.
 */
static inline __u64 own_cgroup_id(void)
{
	char line[512], path[600];
	struct stat st;
	FILE *f = fopen("/proc/self/cgroup", "r");
	__u64 id = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s", line + 3);
		if (!stat(path, &st))
			id = st.st_ino;
	}
	fclose(f);
	return id;
}

/* 127.0.0.1:@port. */
static inline struct sockaddr_in lo4(int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return sin;
}

/* Write @s to the file at @path: 0, or -1 if it was not all written. */
static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

#endif /* CHECMATE_SELFTESTS_COMMON_H */
