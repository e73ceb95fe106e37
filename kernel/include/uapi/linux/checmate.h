/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/**
 * DOC: overview
 *
 * Checmate: BPF programs attached to LSM hooks by prctl(PR_CHECMATE, ...)
 *
 * This header is the whole user-visible ABI of Checmate: the prctl operations,
 * the hook numbers, and the context each hook passes to its programs.
 *
 * A program of type BPF_PROG_TYPE_CHECMATE names its hook at load time in
 * expected_attach_type (one of &enum checmate_hook). The verifier then checks
 * every context access against that hook's context structure below. Contexts
 * hold copies of values, never kernel pointers.
 *
 * A program returns 0 to allow the operation, or a negative errno to deny it
 * with that errno; any other value denies it with -EPERM.
 */
#ifndef _UAPI_LINUX_CHECMATE_H
#define _UAPI_LINUX_CHECMATE_H

#include <linux/types.h>

/**
 * enum checmate_op - prctl(PR_CHECMATE, op, arg3, arg4, arg5) operations
 * @CHECMATE_OP_ATTACH: hook, prog_fd, flags: run the program on the hook,
 *	last; flags CHECMATE_ATTACH_F_* (EINVAL for an unknown one). With
 *	CHECMATE_ATTACH_F_LOG_ONLY the program is a monitor: its denials are
 *	reported (an event, and an audit record as in LOG_ONLY mode) but never
 *	enforced, the programs after it still run, and its writes to writable
 *	context fields are discarded; the hook's other programs enforce as
 *	before. Errors: EBADF, not an fd; EINVAL, not a Checmate program,
 *	verified for another hook, or an unknown flag; EEXIST, attached there
 *	already; E2BIG, the hook holds CHECMATE_MAX_PROGS_PER_HOOK (64)
 *	programs; EPERM, READ_ONLY mode.
 * @CHECMATE_OP_DETACH: hook, prog_fd, 0: stop running it there. Errors:
 *	ENOENT, not attached; EPERM, the hook is locked, APPEND_ONLY or
 *	READ_ONLY.
 * @CHECMATE_OP_RESET: hook, 0, 0: detach every program of the hook.
 *	Errors: EPERM as for DETACH.
 * @CHECMATE_OP_DENY_RESET: hook, flags, 0: lock the hook until reboot, for
 *	every caller: detach, reset and a mode of lower enforcement rank fail
 *	with EPERM from now on; the prog arrays its programs tail-call through
 *	are frozen (and kept from being emptied); with
 *	CHECMATE_LOCK_F_FREEZE_MAPS (flags: 0 or that) their other maps are
 *	frozen and sealed too (no new program may use them). Programs attached
 *	later to the locked hook get the same. Locking a locked hook succeeds
 *	(and may add the flag). Errors, with nothing changed: EINVAL (unknown
 *	flag), EOPNOTSUPP (a map that cannot be frozen: bpf_spin_lock, timer,
 *	kptr), EBUSY (a map mapped writable, or in a map-in-map), E2BIG (more
 *	than 1024 programs reachable by tail calls). While socket_connect,
 *	socket_sendmsg or socket_bind is locked, no cgroup sock_addr program
 *	may be attached that rewrites the address it decided on (EPERM from
 *	bpf(2)).
 * @CHECMATE_OP_SET_MODE: hook, mode, 0: one of &enum checmate_mode.
 *	Errors: EINVAL, unknown mode; EPERM, a loosening change.
 * @CHECMATE_OP_QUERY: hook, struct checmate_query __user pointer, size:
 *	size 0 is CHECMATE_QUERY_SIZE_VER0 (24 bytes, no prog_flags);
 *	CHECMATE_QUERY_SIZE_VER1 (32) also fills prog_flags; any other size:
 *	EINVAL. Errors: EFAULT, a bad pointer; EINVAL, another size, or
 *	reserved not 0; ENOSPC, the buffer is too short (the count is set, the
 *	buffer filled).
 * @CHECMATE_OP_SET_AUDIT: hook, 1 or 0, 0: report the hook's denials (with
 *	hook, program id, errno, pid, comm and the context's key values),
 *	rate-limited, or stop. Errors: EINVAL for anything but 1 or 0.
 * @CHECMATE_OP_REPLACE: hook, new prog_fd, old prog_fd: run the new program
 *	in place of the old one, at its position, atomically (no crossing runs
 *	neither or both, so a policy can be rolled out without a gap); the new
 *	program keeps the old one's flags; allowed where DETACH is. Errors: as
 *	ATTACH for each fd; EPERM as for DETACH; ENOENT if old is not
 *	attached, EEXIST if new is.
 * @CHECMATE_OP_SET_PROG_FLAGS: hook, prog_fd, flags: change the
 *	CHECMATE_ATTACH_F_* flags of an attached program in one publication.
 *	Clearing LOG_ONLY (the program starts enforcing) is allowed where
 *	ATTACH is, locked or not, and moves the program to the end of the
 *	hook's list, where attaching it would put it; setting it is allowed
 *	where DETACH is (EPERM otherwise: setting LOG_ONLY on a locked,
 *	APPEND_ONLY or READ_ONLY hook, clearing it on a READ_ONLY one).
 *	Errors: ENOENT if the program is not attached there; EINVAL, an
 *	unknown flag; EPERM as said.
 *
 * The arguments of each operation are arg3, arg4, arg5, in that order;
 * unused arguments must be 0.
 *
 * Every operation needs CAP_SYS_ADMIN in the initial user namespace
 * (EPERM otherwise). Every operation also fails with EINVAL for an unknown
 * hook number or a non-zero unused argument. A failed operation changes
 * nothing.
 */
enum checmate_op {
	CHECMATE_OP_ATTACH = 1,
	CHECMATE_OP_DETACH = 2,
	CHECMATE_OP_RESET = 3,
	CHECMATE_OP_DENY_RESET = 4,
	CHECMATE_OP_SET_MODE = 5,
	CHECMATE_OP_QUERY = 6,
	CHECMATE_OP_SET_AUDIT = 7,
	CHECMATE_OP_REPLACE = 8,
	CHECMATE_OP_SET_PROG_FLAGS = 9,
};

/* CHECMATE_OP_ATTACH and CHECMATE_OP_SET_PROG_FLAGS flags */
#define CHECMATE_ATTACH_F_LOG_ONLY (1U << 0)	/* report, never enforce */

/**
 * enum checmate_mode - hook modes
 * @CHECMATE_MODE_NORMAL: programs run; attach, detach and reset allowed.
 * @CHECMATE_MODE_APPEND_ONLY: programs run; attach only.
 * @CHECMATE_MODE_READ_ONLY: programs run; the program list is frozen.
 * @CHECMATE_MODE_DISABLED: programs stay attached but are not run.
 * @CHECMATE_MODE_LOG_ONLY: programs run; their denials are reported (as
 *	with CHECMATE_OP_SET_AUDIT) but not enforced: a policy can be tried
 *	before it enforces.
 *
 * A hook starts in CHECMATE_MODE_NORMAL.
 *
 * APPEND_ONLY may only be tightened to READ_ONLY, and READ_ONLY is final.
 * A locked hook (CHECMATE_OP_DENY_RESET) may only keep or raise its
 * enforcement rank, DISABLED < LOG_ONLY < NORMAL < APPEND_ONLY < READ_ONLY:
 * a hook locked while DISABLED or LOG_ONLY can still be set to NORMAL, a
 * locked NORMAL hook can never stop enforcing.
 */
enum checmate_mode {
	CHECMATE_MODE_NORMAL = 0,
	CHECMATE_MODE_APPEND_ONLY = 1,
	CHECMATE_MODE_READ_ONLY = 2,
	CHECMATE_MODE_DISABLED = 3,
	CHECMATE_MODE_LOG_ONLY = 4,
};

/* The most programs one hook can hold; one more attach fails with E2BIG. */
#define CHECMATE_MAX_PROGS_PER_HOOK 64

/* checmate_query.flags */
#define CHECMATE_QUERY_F_LOCKED (1U << 0)
#define CHECMATE_QUERY_F_AUDIT (1U << 1)
#define CHECMATE_QUERY_F_MAPS_FROZEN (1U << 2)

/* CHECMATE_OP_DENY_RESET flags */
#define CHECMATE_LOCK_F_FREEZE_MAPS (1U << 0)

/**
 * struct checmate_query - argument of CHECMATE_OP_QUERY
 * @mode: the hook's mode, &enum checmate_mode (filled by the kernel).
 * @flags: CHECMATE_QUERY_F_* (filled by the kernel): LOCKED, the hook is
 *	locked (CHECMATE_OP_DENY_RESET); AUDIT, its denials are reported
 *	(CHECMATE_OP_SET_AUDIT); MAPS_FROZEN, it was locked with
 *	CHECMATE_LOCK_F_FREEZE_MAPS.
 * @prog_cnt: in: the number of entries of @prog_ids; out: the number of
 *	programs attached.
 * @reserved: must be 0.
 * @prog_ids: __u32 array in user memory: the ids of the attached programs.
 * @prog_flags: __u32 array in user memory, or 0: the CHECMATE_ATTACH_F_*
 *	flags of each program.
 *
 * CHECMATE_OP_QUERY: the kernel fills mode and flags, writes up to prog_cnt
 * program ids to prog_ids and sets prog_cnt to the number attached. If the
 * buffer is too small the call fails with ENOSPC after filling it. With
 * prog_cnt 0 (and prog_ids 0) it only reports the count. With size
 * CHECMATE_QUERY_SIZE_VER1 and prog_flags not 0, the CHECMATE_ATTACH_F_*
 * flags of each program go to prog_flags[i], beside prog_ids[i].
 * CHECMATE_QUERY_SIZE_VER0 (24) is the size up to prog_ids,
 * CHECMATE_QUERY_SIZE_VER1 (32) the size up to prog_flags.
 */
struct checmate_query {
	__u32 mode;
	__u32 flags;
	__u32 prog_cnt;
	__u32 reserved;		/* must be 0 */
	__aligned_u64 prog_ids;	/* __u32 array in user memory */
	__aligned_u64 prog_flags; /* __u32 array in user memory, or 0 */
};

#define CHECMATE_QUERY_SIZE_VER0 24	/* up to prog_ids */
#define CHECMATE_QUERY_SIZE_VER1 32	/* up to prog_flags */

/**
 * DOC: events
 *
 * Denial events: /sys/kernel/security/checmate/events (0400, and like the
 * prctl API only for CAP_SYS_ADMIN in the initial user namespace) reads as
 * a stream of &struct checmate_event, one per denial: enforced
 * (CHECMATE_EVENT_DENIED), would-be (CHECMATE_EVENT_LOG_ONLY: LOG_ONLY
 * mode, a CHECMATE_ATTACH_F_LOG_ONLY program) and not enforced because the
 * operation only gives up privilege (CHECMATE_EVENT_DROP,
 * CHECMATE_CRED_F_DROP). Every denial makes an event, whether or not the
 * hook's audit flag is set, and none is rate-limited.
 *
 * The kernel keeps the last CHECMATE_EVENTS_RING (1024) events (a ring,
 * about 336 KiB allocated once at boot, the oldest overwritten). Each open
 * file reads from the oldest event still kept; its position is the seq of
 * the next event it reads:
 *
 * - read(2) returns whole events only (EINVAL for a buffer smaller than
 *   one), blocks until there is one (EAGAIN with O_NONBLOCK), and is
 *   interrupted by signals;
 * - poll(2) reports EPOLLIN while there is one;
 * - lseek(fd, 0, SEEK_END) skips to the next new one; lseek(fd, seq,
 *   SEEK_SET) resumes at seq (or the oldest kept);
 * - seq numbers every event since boot: a reader that falls more than
 *   CHECMATE_EVENTS_RING events behind loses the oldest, and the gap in
 *   seq is their count.
 *
 * CHECMATE_EVENT_CTX_MAX (256) is the size of an event's copy of the
 * hook's context.
 */
#define CHECMATE_EVENTS_RING 1024
#define CHECMATE_EVENT_CTX_MAX 256

/**
 * enum checmate_event_outcome - what became of a denial: checmate_event.outcome
 * @CHECMATE_EVENT_DENIED: enforced: the operation failed.
 * @CHECMATE_EVENT_LOG_ONLY: not enforced: LOG_ONLY mode or a LOG_ONLY
 *	program (a monitor).
 * @CHECMATE_EVENT_DROP: not enforced: the operation gives up privilege and
 *	is never refused (CHECMATE_CRED_F_DROP).
 */
enum checmate_event_outcome {
	CHECMATE_EVENT_DENIED = 0,	/* enforced: the operation failed */
	CHECMATE_EVENT_LOG_ONLY = 1,	/* LOG_ONLY mode or a LOG_ONLY program */
	CHECMATE_EVENT_DROP = 2,	/* gives up privilege: never refused */
};

/* checmate_event.flags */
#define CHECMATE_EVENT_F_NO_TASK	(1U << 0) /* irq context: no pid etc. */
#define CHECMATE_EVENT_F_PROG_LOG_ONLY	(1U << 1) /* the program's own flag */

/**
 * struct checmate_event - one denial, as read from the events file
 * @seq: 0, 1, 2, ... since boot (offset 0).
 * @time_ns: CLOCK_MONOTONIC, ns (ktime_get_mono_fast_ns()) (offset 8).
 * @cgroup_id: current's cgroup v2 id (its directory's inode number), 0
 *	with CHECMATE_EVENT_F_NO_TASK (offset 16).
 * @hook: &enum checmate_hook (offset 24).
 * @prog_id: the program that denied (offset 28).
 * @verdict: what it returned, as the hook returns it: a negative errno (any
 *	other value is -EPERM) (offset 32).
 * @outcome: &enum checmate_event_outcome (offset 36).
 * @pid: current's tgid in the initial pid namespace (offset 40).
 * @tid: current's pid there (offset 44).
 * @uid: current's euid in the initial user namespace (offset 48).
 * @flags: CHECMATE_EVENT_F_* (offset 52): CHECMATE_EVENT_F_NO_TASK, the
 *	hook ran in interrupt context (a packet, a signal from a completion),
 *	where the current task is whichever was interrupted: pid, tid, uid,
 *	comm and cgroup_id are 0; CHECMATE_EVENT_F_PROG_LOG_ONLY, the program's
 *	own flag: a monitor (CHECMATE_ATTACH_F_LOG_ONLY).
 * @comm: current's comm, NUL-terminated (offset 56).
 * @ctx_size: bytes of ctx used: the hook's ctx size (offset 72).
 * @reserved: 0 (offset 76).
 * @ctx: the hook's context, as the denying program was given it (for
 *	socket_bind, before any rewrite of local_port) (offset 80). Where no
 *	program on the hook reads its context, the programs run on zeros and
 *	the context is filled for the report: it describes the operation.
 *
 * The structure is 336 bytes.
 */
struct checmate_event {
	__u64 seq;		/* 0, 1, 2, ... since boot */
	__u64 time_ns;		/* CLOCK_MONOTONIC, ns */
	__u64 cgroup_id;	/* current's cgroup v2 id, 0 with F_NO_TASK */
	__u32 hook;		/* enum checmate_hook */
	__u32 prog_id;		/* the program that denied */
	__s32 verdict;		/* what it returned: a negative errno */
	__u32 outcome;		/* enum checmate_event_outcome */
	__u32 pid;		/* current's tgid in the initial pid namespace */
	__u32 tid;		/* current's pid there */
	__u32 uid;		/* current's euid in the initial user namespace */
	__u32 flags;		/* CHECMATE_EVENT_F_* */
	char comm[16];		/* current's comm, NUL-terminated */
	__u32 ctx_size;		/* bytes of ctx used: the hook's ctx size */
	__u32 reserved;
	/* the hook's context, as the denying program was given it */
	__u8 ctx[CHECMATE_EVENT_CTX_MAX];
};

/**
 * enum checmate_hook - hook numbers
 * @CHECMATE_HOOK_UNSPEC: 0: no hook: a program that names it fails to
 *	load (EINVAL).
 * @CHECMATE_HOOK_SOCKET_CREATE: 1: socket_create, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_SOCKET_BIND: 2: socket_bind, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_SOCKET_CONNECT: 3: socket_connect, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_SOCKET_LISTEN: 4: socket_listen, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_SOCKET_ACCEPT: 5: socket_accept, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_SOCKET_SENDMSG: 6: socket_sendmsg, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_SOCKET_RECVMSG: 7: socket_recvmsg, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB: 8: socket_sock_rcv_skb,
 *	&struct checmate_sock_ctx.
 * @CHECMATE_HOOK_INET_CONN_REQUEST: 9: inet_conn_request,
 *	&struct checmate_sock_ctx.
 * @CHECMATE_HOOK_FILE_OPEN: 10: file_open, &struct checmate_file_ctx.
 * @CHECMATE_HOOK_FILE_PERMISSION: 11: file_permission,
 *	&struct checmate_file_ctx.
 * @CHECMATE_HOOK_INODE_CREATE: 12: inode_create, &struct checmate_file_ctx.
 * @CHECMATE_HOOK_TASK_ALLOC: 13: task_alloc, &struct checmate_task_ctx.
 * @CHECMATE_HOOK_BPRM_CHECK_SECURITY: 14: bprm_check_security,
 *	&struct checmate_task_ctx.
 * @CHECMATE_HOOK_PTRACE_ACCESS_CHECK: 15: ptrace_access_check,
 *	&struct checmate_task_ctx.
 * @CHECMATE_HOOK_PTRACE_TRACEME: 16: ptrace_traceme, &struct checmate_task_ctx.
 * @CHECMATE_HOOK_TASK_KILL: 17: task_kill, &struct checmate_task_ctx.
 * @CHECMATE_HOOK_SB_MOUNT: 18: sb_mount, &struct checmate_mount_ctx.
 * @CHECMATE_HOOK_SB_UMOUNT: 19: sb_umount, &struct checmate_mount_ctx.
 * @CHECMATE_HOOK_PATH_CHROOT: 20: path_chroot, &struct checmate_mount_ctx.
 * @CHECMATE_HOOK_PATH_MKNOD: 21: path_mknod, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_MKDIR: 22: path_mkdir, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_SYMLINK: 23: path_symlink, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_LINK: 24: path_link, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_RENAME: 25: path_rename, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_SB_KERN_MOUNT: 26: sb_kern_mount, &struct checmate_mount_ctx.
 * @CHECMATE_HOOK_MOVE_MOUNT: 27: move_mount, &struct checmate_mount_ctx.
 * @CHECMATE_HOOK_SB_PIVOTROOT: 28: sb_pivotroot, &struct checmate_mount_ctx.
 * @CHECMATE_HOOK_UNIX_STREAM_CONNECT: 29: unix_stream_connect,
 *	&struct checmate_unix_ctx.
 * @CHECMATE_HOOK_UNIX_MAY_SEND: 30: unix_may_send, &struct checmate_unix_ctx.
 * @CHECMATE_HOOK_USERNS_CREATE: 31: userns_create, &struct checmate_cred_ctx.
 * @CHECMATE_HOOK_BPRM_CREDS_FROM_FILE: 32: bprm_creds_from_file,
 *	&struct checmate_exec_ctx.
 * @CHECMATE_HOOK_MMAP_FILE: 33: mmap_file, &struct checmate_exec_ctx.
 * @CHECMATE_HOOK_FILE_MPROTECT: 34: file_mprotect, &struct checmate_exec_ctx.
 * @CHECMATE_HOOK_KERNEL_MODULE_REQUEST: 35: kernel_module_request,
 *	&struct checmate_kernel_ctx.
 * @CHECMATE_HOOK_KERNEL_READ_FILE: 36: kernel_read_file,
 *	&struct checmate_kernel_ctx.
 * @CHECMATE_HOOK_KERNEL_LOAD_DATA: 37: kernel_load_data,
 *	&struct checmate_kernel_ctx.
 * @CHECMATE_HOOK_CAPABLE: 38: capable, &struct checmate_cred_ctx.
 * @CHECMATE_HOOK_TASK_FIX_SETUID: 39: task_fix_setuid,
 *	&struct checmate_cred_ctx.
 * @CHECMATE_HOOK_TASK_FIX_SETGID: 40: task_fix_setgid,
 *	&struct checmate_cred_ctx.
 * @CHECMATE_HOOK_CAPSET: 41: capset, &struct checmate_cred_ctx.
 * @CHECMATE_HOOK_TASK_PRCTL: 42: task_prctl, &struct checmate_cred_ctx.
 * @CHECMATE_HOOK_PATH_UNLINK: 43: path_unlink, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_RMDIR: 44: path_rmdir, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_TRUNCATE: 45: path_truncate, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_CHMOD: 46: path_chmod, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_PATH_CHOWN: 47: path_chown, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_FILE_TRUNCATE: 48: file_truncate, &struct checmate_file_ctx.
 * @CHECMATE_HOOK_FILE_IOCTL: 49: file_ioctl, &struct checmate_file_ctx.
 * @CHECMATE_HOOK_FILE_IOCTL_COMPAT: 50: file_ioctl_compat,
 *	&struct checmate_file_ctx.
 * @CHECMATE_HOOK_FILE_RECEIVE: 51: file_receive, &struct checmate_file_ctx.
 * @CHECMATE_HOOK_SOCKET_SETSOCKOPT: 52: socket_setsockopt,
 *	&struct checmate_sock_ctx.
 * @CHECMATE_HOOK_BPRM_CREDS_FOR_EXEC: 53: bprm_creds_for_exec,
 *	&struct checmate_exec_ctx.
 * @CHECMATE_HOOK_SB_REMOUNT: 54: sb_remount, &struct checmate_mount_ctx.
 * @CHECMATE_HOOK_FILE_SEND_SIGIOTASK: 55: file_send_sigiotask,
 *	&struct checmate_task_ctx.
 * @CHECMATE_HOOK_TASK_SETNICE: 56: task_setnice, &struct checmate_task_ctx.
 * @CHECMATE_HOOK_INODE_SETXATTR: 57: inode_setxattr,
 *	&struct checmate_inode_ctx.
 * @CHECMATE_HOOK_INODE_INIT_SECURITY_ANON: 58: inode_init_security_anon,
 *	&struct checmate_kernel_ctx.
 * @CHECMATE_HOOK_NETLINK_SEND: 59: netlink_send, &struct checmate_sock_ctx.
 * @CHECMATE_HOOK_BPF: 60: bpf, &struct checmate_kernel_ctx.
 * @CHECMATE_HOOK_INODE_FOLLOW_LINK: 61: inode_follow_link,
 *	&struct checmate_inode_ctx.
 * @CHECMATE_HOOK_INODE_REMOVEXATTR: 62: inode_removexattr,
 *	&struct checmate_inode_ctx.
 * @CHECMATE_HOOK_INODE_SET_ACL: 63: inode_set_acl, &struct checmate_inode_ctx.
 * @CHECMATE_HOOK_INODE_REMOVE_ACL: 64: inode_remove_acl,
 *	&struct checmate_inode_ctx.
 * @CHECMATE_HOOK_TASK_SETSCHEDULER: 65: task_setscheduler,
 *	&struct checmate_task_ctx.
 * @CHECMATE_HOOK_TASK_FIX_SETGROUPS: 66: task_fix_setgroups,
 *	&struct checmate_cred_ctx.
 * @__CHECMATE_HOOK_MAX: one more than the highest hook number.
 *
 * Hook numbers, passed as expected_attach_type and to prctl. Never
 * renumbered. Each value is named after its LSM hook; its programs get
 * the context structure named beside it.
 */
enum checmate_hook {
	CHECMATE_HOOK_UNSPEC = 0,
	/* network: struct checmate_sock_ctx */
	CHECMATE_HOOK_SOCKET_CREATE = 1,
	CHECMATE_HOOK_SOCKET_BIND = 2,
	CHECMATE_HOOK_SOCKET_CONNECT = 3,
	CHECMATE_HOOK_SOCKET_LISTEN = 4,
	CHECMATE_HOOK_SOCKET_ACCEPT = 5,
	CHECMATE_HOOK_SOCKET_SENDMSG = 6,
	CHECMATE_HOOK_SOCKET_RECVMSG = 7,
	CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB = 8,
	CHECMATE_HOOK_INET_CONN_REQUEST = 9,
	/* files: struct checmate_file_ctx */
	CHECMATE_HOOK_FILE_OPEN = 10,
	CHECMATE_HOOK_FILE_PERMISSION = 11,
	CHECMATE_HOOK_INODE_CREATE = 12,
	/* tasks: struct checmate_task_ctx */
	CHECMATE_HOOK_TASK_ALLOC = 13,
	CHECMATE_HOOK_BPRM_CHECK_SECURITY = 14,
	CHECMATE_HOOK_PTRACE_ACCESS_CHECK = 15,
	CHECMATE_HOOK_PTRACE_TRACEME = 16,
	CHECMATE_HOOK_TASK_KILL = 17,
	/* mounts: struct checmate_mount_ctx */
	CHECMATE_HOOK_SB_MOUNT = 18,
	CHECMATE_HOOK_SB_UMOUNT = 19,
	CHECMATE_HOOK_PATH_CHROOT = 20,
	/* names in directories: struct checmate_inode_ctx */
	CHECMATE_HOOK_PATH_MKNOD = 21,
	CHECMATE_HOOK_PATH_MKDIR = 22,
	CHECMATE_HOOK_PATH_SYMLINK = 23,
	CHECMATE_HOOK_PATH_LINK = 24,
	CHECMATE_HOOK_PATH_RENAME = 25,
	/* mounts: struct checmate_mount_ctx */
	CHECMATE_HOOK_SB_KERN_MOUNT = 26,
	CHECMATE_HOOK_MOVE_MOUNT = 27,
	CHECMATE_HOOK_SB_PIVOTROOT = 28,
	/* unix sockets: struct checmate_unix_ctx */
	CHECMATE_HOOK_UNIX_STREAM_CONNECT = 29,
	CHECMATE_HOOK_UNIX_MAY_SEND = 30,
	/* credentials: struct checmate_cred_ctx */
	CHECMATE_HOOK_USERNS_CREATE = 31,
	/* code: struct checmate_exec_ctx */
	CHECMATE_HOOK_BPRM_CREDS_FROM_FILE = 32,
	CHECMATE_HOOK_MMAP_FILE = 33,
	CHECMATE_HOOK_FILE_MPROTECT = 34,
	/* loading code into the kernel: struct checmate_kernel_ctx */
	CHECMATE_HOOK_KERNEL_MODULE_REQUEST = 35,
	CHECMATE_HOOK_KERNEL_READ_FILE = 36,
	CHECMATE_HOOK_KERNEL_LOAD_DATA = 37,
	/* credentials and capabilities: struct checmate_cred_ctx */
	CHECMATE_HOOK_CAPABLE = 38,
	CHECMATE_HOOK_TASK_FIX_SETUID = 39,
	CHECMATE_HOOK_TASK_FIX_SETGID = 40,
	CHECMATE_HOOK_CAPSET = 41,
	CHECMATE_HOOK_TASK_PRCTL = 42,
	/* names and inodes: struct checmate_inode_ctx */
	CHECMATE_HOOK_PATH_UNLINK = 43,
	CHECMATE_HOOK_PATH_RMDIR = 44,
	CHECMATE_HOOK_PATH_TRUNCATE = 45,
	CHECMATE_HOOK_PATH_CHMOD = 46,
	CHECMATE_HOOK_PATH_CHOWN = 47,
	/* open files: struct checmate_file_ctx */
	CHECMATE_HOOK_FILE_TRUNCATE = 48,
	CHECMATE_HOOK_FILE_IOCTL = 49,
	CHECMATE_HOOK_FILE_IOCTL_COMPAT = 50,
	CHECMATE_HOOK_FILE_RECEIVE = 51,
	/* network: struct checmate_sock_ctx */
	CHECMATE_HOOK_SOCKET_SETSOCKOPT = 52,
	/* code: struct checmate_exec_ctx */
	CHECMATE_HOOK_BPRM_CREDS_FOR_EXEC = 53,
	/* mounts: struct checmate_mount_ctx */
	CHECMATE_HOOK_SB_REMOUNT = 54,
	/* tasks: struct checmate_task_ctx */
	CHECMATE_HOOK_FILE_SEND_SIGIOTASK = 55,
	CHECMATE_HOOK_TASK_SETNICE = 56,
	/* inodes: struct checmate_inode_ctx */
	CHECMATE_HOOK_INODE_SETXATTR = 57,
	/* kernel objects: struct checmate_kernel_ctx */
	CHECMATE_HOOK_INODE_INIT_SECURITY_ANON = 58,
	/* network: struct checmate_sock_ctx */
	CHECMATE_HOOK_NETLINK_SEND = 59,
	/* kernel objects: struct checmate_kernel_ctx */
	CHECMATE_HOOK_BPF = 60,
	/* inodes: struct checmate_inode_ctx */
	CHECMATE_HOOK_INODE_FOLLOW_LINK = 61,
	CHECMATE_HOOK_INODE_REMOVEXATTR = 62,
	CHECMATE_HOOK_INODE_SET_ACL = 63,
	CHECMATE_HOOK_INODE_REMOVE_ACL = 64,
	/* tasks: struct checmate_task_ctx */
	CHECMATE_HOOK_TASK_SETSCHEDULER = 65,
	/* credentials: struct checmate_cred_ctx */
	CHECMATE_HOOK_TASK_FIX_SETGROUPS = 66,
	__CHECMATE_HOOK_MAX,
};

/**
 * DOC: sock_ctx
 *
 * Network hooks. Ports are in host byte order, IPv4 and IPv6 addresses in
 * network byte order; a field the kernel has no value for is 0, and the
 * CHECMATE_SOCK_F_* bits of info say which of them hold a value.
 *
 * Every field describes the operation the kernel carries out, after its
 * compatibility rules (Documentation/userspace-api/checmate.rst has the
 * table of every field's source per hook):
 *
 * - family is the family of the traffic: AF_INET, with local_ip4 and
 *   remote_ip4 set and local_ip6 and remote_ip6 0, for IPv4 and for
 *   IPv4-mapped addresses (``::ffff:a.b.c.d``) on an AF_INET6 socket and
 *   for IPv4 packets received by one; AF_INET6 otherwise. sock_family is
 *   the socket's own family (AF_INET6 for such a dual-stack socket).
 *   Before socket(2) has a socket (socket_create) both are the family
 *   asked for.
 * - A user address that the kernel gives another meaning is shown with
 *   that meaning: AF_UNSPEC with INADDR_ANY at bind on AF_INET is AF_INET,
 *   AF_UNSPEC in an AF_INET datagram's msg_name is AF_INET, AF_UNSPEC in an
 *   AF_INET6 UDP msg_name is no address (the peer), AF_INET in an AF_INET6
 *   datagram socket's connect or msg_name is IPv4, and connect or send to
 *   the unspecified address (0.0.0.0, ``::``) is to the loopback or the
 *   socket's own address, as the kernel routes it. An address the kernel
 *   will refuse (too short, a family it rejects) is shown as given, with
 *   CHECMATE_SOCK_F_BAD_ADDR; only the bytes the kernel copied are read.
 * - Ports of raw and ping sockets and of packets without a transport
 *   header the kernel can read are not ports: CHECMATE_SOCK_F_PORTS is
 *   clear (for sockets, the fields still mirror getsockname(2)).
 *
 * socket_create
 *   family, sock_family, type, protocol; arg = kern; cgroup_id,
 *   netns_cookie of the caller
 *
 * socket_bind
 *   local_* = the address that will be bound (local_port writable: the
 *   socket binds to the port the programs leave there; the first program
 *   that changes it decides it, later ones see its value and cannot
 *   change it again)
 *
 * socket_connect
 *   remote_* = the address that will be connected to, local_* = the
 *   socket's; AF_UNSPEC (disconnect): CHECMATE_SOCK_F_DISCONNECT, remote_*
 *   0
 *
 * socket_listen
 *   local_*; arg = backlog
 *
 * socket_accept
 *   local_* of the listening socket
 *
 * socket_sendmsg
 *   remote_* = where the data goes: msg_name (CHECMATE_SOCK_F_MSG_NAME) on
 *   datagram sockets, the peer otherwise; TCP ignores msg_name except for
 *   Fast Open on an unconnected socket (MSG_FASTOPEN or
 *   TCP_FASTOPEN_CONNECT), which connects to it: CHECMATE_SOCK_F_CONNECTS;
 *   a corked UDP datagram (MSG_MORE, UDP_CORK) goes to the corked
 *   destination whatever msg_name says; with an IPv6 routing header
 *   (IPV6_RTHDR, cmsg or socket option) remote_ip6 is its first hop; arg =
 *   size
 *
 * socket_recvmsg
 *   local_*, remote_* of the socket; arg = size; flags
 *
 * socket_setsockopt
 *   setsockopt(2) and io_uring's SETSOCKOPT command (do_sock_setsockopt()),
 *   before the protocol sees the value: local_*, remote_* of the socket;
 *   arg = level (SOL_SOCKET, IPPROTO_IP...), flags = optname; the value
 *   itself is not passed
 *
 * netlink_send
 *   sendmsg(2), sendto(2), write(2) on a netlink socket (ip, iw, nft,
 *   systemd talk to the kernel this way), after the kernel copied the
 *   data: family = AF_NETLINK, protocol = NETLINK_* (NETLINK_ROUTE 0,
 *   NETLINK_NETFILTER 12, NETLINK_GENERIC 16...); arg = nlmsg_type, flags
 *   = nlmsg_flags of the first message. The kernel handles every message
 *   of the buffer: CHECMATE_SOCK_F_NL_BATCH says there is more than one
 *   (an nfnetlink batch starts with NFNL_MSG_BATCH_BEGIN), and a policy
 *   that decides by type must then refuse or allow the whole;
 *   CHECMATE_SOCK_F_TRUNCATED: too short for a message header (arg, flags
 *   0)
 *
 * socket_sock_rcv_skb
 *   remote_* = the packet's source, local_* = its destination; transport =
 *   the protocol of the header after the IPv4 header or IPv6 extension
 *   headers
 *
 * inet_conn_request
 *   as socket_sock_rcv_skb, for the SYN
 *
 * Binds and connects made by other calls run the programs of socket_bind
 * and socket_connect too, once per address, with the context those hooks
 * fill for it:
 *
 * - SCTP (CHECMATE_SOCK_F_SCTP_ADDRS, protocol IPPROTO_SCTP): every address
 *   of setsockopt(SCTP_SOCKOPT_BINDX_ADD) and of SCTP_SET_PEER_PRIMARY_ADDR
 *   runs socket_bind; of SCTP_SOCKOPT_CONNECTX (sctp_connectx()), the
 *   msg_name of a sendmsg that starts an association, each of its
 *   SCTP_DSTADDRV4 and SCTP_DSTADDRV6 cmsgs, and SCTP_PRIMARY_ADDR (a peer
 *   address) socket_connect. Ports follow SCTP's rules: one port per
 *   association (a bindx address with port 0 is shown with the socket's
 *   port; an address whose port differs is CHECMATE_SOCK_F_BAD_ADDR). A
 *   local_port written at bindx is the port that address is bound to (the
 *   socket's own port or EINVAL, as SCTP has one); at
 *   SCTP_SET_PEER_PRIMARY_ADDR, which binds nothing, a change is EINVAL
 * - a sendmsg that connects (TCP or MPTCP Fast Open: MSG_FASTOPEN on an
 *   unconnected socket) runs socket_connect with remote_* = msg_name,
 *   CHECMATE_SOCK_F_MSG_NAME and CHECMATE_SOCK_F_CONNECTS, besides
 *   socket_sendmsg
 *
 * cgroup_id is the cgroup v2 id of the socket (the cgroup of the task
 * that created it; the id a cgroup's directory inode number), netns_cookie
 * the cookie of its network namespace (SO_NETNS_COOKIE): the container
 * identity, also in softirq where there is no current task.
 */

/* checmate_sock_ctx.info */
#define CHECMATE_SOCK_F_LOCAL		(1U << 0) /* local_* hold an address */
#define CHECMATE_SOCK_F_REMOTE		(1U << 1) /* remote_* hold an address */
#define CHECMATE_SOCK_F_PORTS		(1U << 2) /* *_port are transport ports */
#define CHECMATE_SOCK_F_MSG_NAME	(1U << 3) /* remote_* from msg_name */
#define CHECMATE_SOCK_F_CONNECTS	(1U << 4) /* sendmsg connects (Fast Open) */
#define CHECMATE_SOCK_F_DISCONNECT	(1U << 5) /* connect(AF_UNSPEC) */
#define CHECMATE_SOCK_F_BAD_ADDR	(1U << 6) /* the kernel will refuse it */
#define CHECMATE_SOCK_F_FRAGMENT	(1U << 7) /* a non-first fragment */
#define CHECMATE_SOCK_F_TRUNCATED	(1U << 8) /* packet ends in a header */
#define CHECMATE_SOCK_F_SCTP_ADDRS	(1U << 9) /* one address of an SCTP list */
#define CHECMATE_SOCK_F_NL_BATCH	(1U << 10) /* more than one netlink message */

/**
 * struct checmate_sock_ctx - context of the network hooks
 * @family: the family of the traffic (AF_INET for IPv4, also through an
 *	AF_INET6 socket; AF_INET6; AF_NETLINK at netlink_send).
 * @type: the socket type (SOCK_STREAM...).
 * @protocol: the socket's protocol (IPPROTO_*, NETLINK_* at netlink_send).
 * @local_port: the local port, host byte order; writable at socket_bind.
 * @remote_port: the remote port, host byte order.
 * @local_ip4: the local IPv4 address, network byte order.
 * @remote_ip4: the remote IPv4 address, network byte order.
 * @local_ip6: the local IPv6 address, network byte order.
 * @remote_ip6: the remote IPv6 address, network byte order.
 * @arg: per hook: kern, backlog, size, level, nlmsg_type.
 * @flags: per hook: the recvmsg() flags, optname, nlmsg_flags.
 * @sock_family: the socket's own family. This field and the ones after it
 *	were appended: programs built for the fields above stay valid.
 * @info: CHECMATE_SOCK_F_* bits: LOCAL, local_* hold an address; REMOTE,
 *	remote_* hold an address; PORTS, local_port and remote_port are
 *	transport ports; MSG_NAME, remote_* come from msg_name; CONNECTS,
 *	sendmsg connects (Fast Open); DISCONNECT, connect(AF_UNSPEC);
 *	BAD_ADDR, the kernel will refuse the address; FRAGMENT, a non-first
 *	fragment; TRUNCATED, the packet ends in a header; SCTP_ADDRS, one
 *	address of an SCTP list; NL_BATCH, more than one netlink message.
 * @transport: packet hooks: IPPROTO_* of the ports' header.
 * @cgroup_id: the cgroup v2 id of the socket (socket_create: the caller's).
 * @netns_cookie: the cookie of its network namespace (SO_NETNS_COOKIE).
 */
struct checmate_sock_ctx {
	__u32 family;
	__u32 type;
	__u32 protocol;
	__u32 local_port;
	__u32 remote_port;
	__u32 local_ip4;
	__u32 remote_ip4;
	__u32 local_ip6[4];
	__u32 remote_ip6[4];
	__u32 arg;
	__u32 flags;
	/* Appended: programs built for the fields above stay valid. */
	__u32 sock_family;
	__u32 info;		/* CHECMATE_SOCK_F_* */
	__u32 transport;	/* packet hooks: IPPROTO_* of the ports' header */
	__u64 cgroup_id;
	__u64 netns_cookie;
};

/**
 * DOC: file_ctx
 *
 * File hooks: the inode concerned (ino, dev, mode, uid, gid: uid and gid
 * in the initial user namespace) and, for open files, the s_magic of its
 * filesystem, mnt_flags of the mount it was opened on (MNT_NOSUID 0x1,
 * MNT_NODEV 0x2, MNT_NOEXEC 0x4, MNT_READONLY 0x40) and rdev (a device
 * file's number, as stat(2) st_rdev; else 0).
 *
 * file_open
 *   flags = f_flags
 *
 * file_permission
 *   flags = MAY_* mask
 *
 * inode_create
 *   dir_ino, dev of the directory; mode = requested mode (S_IFREG and the
 *   permission bits, the umask applied unless the directory has a default
 *   ACL); crossed by open(O_CREAT) of a name not in the dentry cache (also
 *   an existing, uncached file: the kernel then opens it whatever the
 *   program says), mknod() of a regular file, mq_open(O_CREAT), bpffs
 *   pins; not by mkdir(), symlink(), link(), rename(), O_TMPFILE or
 *   mknod() of other types
 *
 * file_truncate
 *   ftruncate(2) and open(2) with O_TRUNC of an existing file (also
 *   io_uring's FTRUNCATE and OPENAT): flags = f_flags of the open file,
 *   which the kernel keeps without O_TRUNC, O_CREAT and O_EXCL
 *   (truncate(2) of a path crosses path_truncate instead)
 *
 * file_ioctl
 *   ioctl(2), every request, before the kernel acts on it: the generic
 *   ones (FIOCLEX, FIONBIO, FIONREAD, FIFREEZE, FICLONE...) as well as the
 *   driver's and the filesystem's: cmd = the request number, flags =
 *   f_flags (arg, often a user pointer, is not read); a file-attribute
 *   request (FS_IOC_GETFLAGS, _SETFLAGS, _FSGETXATTR, _FSSETXATTR) on an
 *   overlayfs file crosses it again for the file below, with that file's
 *   fields
 *
 * file_ioctl_compat
 *   the same, for 32-bit callers (compat_ioctl(2))
 *
 * file_receive
 *   a file descriptor arrives from elsewhere: SCM_RIGHTS (recvmsg(2) on a
 *   UNIX socket), pidfd_getfd(2), a seccomp user-notification ADDFD; flags
 *   = f_flags. The receiving task is current
 */
/**
 * struct checmate_file_ctx - context of the file hooks
 * @ino: the inode's number (0 at inode_create).
 * @dir_ino: inode_create: the directory's inode number.
 * @dev: the inode's device (inode_create: the directory's).
 * @mode: the inode's mode (inode_create: the requested mode).
 * @uid: the inode's owner, initial user namespace.
 * @gid: the inode's group, initial user namespace.
 * @flags: per hook: f_flags, the MAY_* mask.
 * @reserved: 0.
 * @cmd: file_ioctl, file_ioctl_compat: the request number. This field and
 *	the ones after it were appended: programs built for the fields above
 *	stay valid.
 * @rdev: a device file's number, as stat(2) st_rdev; else 0.
 * @s_magic: the s_magic of the open file's filesystem.
 * @mnt_flags: the mnt_flags of the mount the file was opened on
 *	(MNT_NOSUID 0x1, MNT_NODEV 0x2, MNT_NOEXEC 0x4, MNT_READONLY 0x40).
 */
struct checmate_file_ctx {
	__u64 ino;
	__u64 dir_ino;
	__u32 dev;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 flags;
	__u32 reserved;
	/* Appended: programs built for the fields above stay valid. */
	__u32 cmd;		/* file_ioctl, file_ioctl_compat */
	__u32 rdev;
	__u32 s_magic;
	__u32 mnt_flags;
};

/**
 * DOC: inode_ctx
 *
 * Hooks that put a name into a directory (CONFIG_SECURITY_PATH), each
 * crossed once per operation, before the filesystem acts, with the
 * directory locked. Every system call that creates a directory entry
 * crosses one of them (and so do io_uring's MKNODAT, MKDIRAT, SYMLINKAT,
 * LINKAT and RENAMEAT, which call the same kernel functions); mq_open()
 * (inode_create only) and O_TMPFILE (an unnamed inode: linkat() names it)
 * do not.
 *
 * path_mknod
 *   mknod(), mknodat(): mode = the type asked for, S_IFREG for type 0, and
 *   the permission bits after the umask; rdev = the device number of a
 *   character or block device (as stat(2) st_rdev), else 0. Also open(),
 *   openat(), openat2(), creat() with O_CREAT of a name that is not there
 *   (mode S_IFREG | bits; crossed too for an existing file the dentry
 *   cache does not hold yet: the kernel then opens the file whatever the
 *   program says), bind() of a UNIX socket to a path (S_IFSOCK), pinning
 *   in bpffs
 *
 * path_mkdir
 *   mkdir(), mkdirat(): mode = S_IFDIR | the bits after the umask (not the
 *   set-group-ID bit a directory inherits)
 *
 * path_symlink
 *   symlink(), symlinkat(): mode = S_IFLNK | 0777; name2 = the link's
 *   target as given, name2_len its length
 *
 * path_link
 *   link(), linkat() (also with AT_EMPTY_PATH or through /proc/self/fd of
 *   an O_TMPFILE file: nlink 0): ino, mode, uid, gid, nlink = the inode
 *   that gets the new name
 *
 * path_rename
 *   rename(), renameat(), renameat2(): ino, mode, uid, gid, nlink = the
 *   inode moved; old_dir_ino = the directory it leaves, name2 = its old
 *   name; target_ino = the inode at the new name that is replaced (or,
 *   RENAME_EXCHANGE, exchanged), 0 if the name is new; flags = RENAME_*
 *   (RENAME_WHITEOUT also creates a whiteout, a character device 0:0, at
 *   the old name)
 *
 * path_unlink
 *   unlink(), unlinkat() (also io_uring's UNLINKAT): ino, mode, uid, gid,
 *   nlink = the inode whose name goes (nlink before the unlink), name =
 *   that name; not crossed for a name that does not exist, which fails
 *   first; crossed for a directory or a busy mount point, which the kernel
 *   refuses afterwards (EISDIR, EBUSY)
 *
 * path_rmdir
 *   rmdir(), unlinkat(AT_REMOVEDIR): as path_unlink, for the directory
 *
 * In these seven, dir_ino is the directory the name goes in or leaves,
 * dev its device (the inodes and both directories are on it: the kernel
 * refuses links and renames across mounts first), dir_mode, dir_uid and
 * dir_gid its mode and owner, and name the name (the last component).
 *
 * Hooks on an inode by path, with its inode locked where it changes
 * (dir_* and name 0: the path's last component is not stable there):
 *
 * path_truncate
 *   truncate(2): ino, mode, uid, gid, nlink, dev of the file (ftruncate(2)
 *   and O_TRUNC cross file_truncate)
 *
 * path_chmod
 *   chmod(), fchmod(), fchmodat(), fchmodat2(): the inode as it is;
 *   new_mode = the mode it gets (S_IFMT kept, the permission, set-id and
 *   sticky bits as asked)
 *
 * path_chown
 *   chown(), fchown(), lchown(), fchownat(): the inode as it is; new_uid,
 *   new_gid = the owner it gets, in the initial user namespace (through
 *   the mount's idmapping), or 0xffffffff where the call leaves it. The
 *   kernel clears the set-user-ID bit of a file whose owner changes
 *
 * inode_setxattr
 *   setxattr(), lsetxattr(), fsetxattr() (also io_uring's SETXATTR and
 *   FSETXATTR), and the kernel's own writes of extended attributes
 *   (overlayfs copy-up, nfsd), the inode locked: the inode as it is; name2
 *   = the attribute's name ("security.capability": file capabilities, a
 *   set-id bit by another name; ``"trusted.overlay.*"``, ``"user.*"``...),
 *   name2_len its length; size = the value's size in bytes; flags =
 *   XATTR_CREATE (1), XATTR_REPLACE (2). The value itself is not copied.
 *   POSIX ACLs (``system.posix_acl_*``) cross inode_set_acl instead
 *
 * inode_removexattr
 *   removexattr(), lremovexattr(), fremovexattr() (and io_uring's): as
 *   inode_setxattr, size 0
 *
 * inode_set_acl
 *   setfacl: setxattr() of system.posix_acl_access or
 *   system.posix_acl_default, which the kernel turns into an ACL
 *   (vfs_set_acl()): name2 = that name, size = the number of ACL entries
 *   (0: the ACL is removed)
 *
 * inode_remove_acl
 *   removexattr() of those names: name2, size 0
 *
 * inode_follow_link
 *   every symbolic link a path lookup follows (open(), stat(), execve(),
 *   chdir()..., any path with a symlink in it, not the last component of
 *   lstat() or readlink()), before the kernel reads its target: ino, mode,
 *   uid, gid, nlink, dev = the link; dir_ino, dir_mode, dir_uid, dir_gid =
 *   the directory it is in (as a lookup from another directory may be
 *   racing a rename, a value seen a moment before); flags = 1 when the
 *   lookup runs in RCU mode (no lock, no reference: the fill only reads),
 *   0 in reference mode. Hot: every symlink traversal
 *
 * Names are copied NUL-terminated into their 64 bytes, cut to 63 if
 * longer, with CHECMATE_INODE_F_NAME_CUT or _NAME2_CUT set; name_len and
 * name2_len are their full lengths. Owners are in the initial user
 * namespace. A field the hook has no value for is 0.
 */

/* checmate_inode_ctx.info */
#define CHECMATE_INODE_F_NAME_CUT	(1U << 0) /* name holds its first 63 bytes */
#define CHECMATE_INODE_F_NAME2_CUT	(1U << 1) /* name2 holds its first 63 bytes */

/**
 * struct checmate_inode_ctx - context of the name and inode hooks
 * @ino: the inode's number.
 * @dir_ino: the directory the name goes in or leaves.
 * @old_dir_ino: path_rename: the directory the inode leaves.
 * @target_ino: path_rename: the inode replaced or exchanged, 0 if the name
 *	is new.
 * @dev: the device of the inode and its directories.
 * @mode: the inode's mode, or the mode asked for.
 * @rdev: path_mknod: the device number of a character or block device.
 * @uid: the inode's owner, initial user namespace.
 * @gid: the inode's group, initial user namespace.
 * @nlink: the inode's link count.
 * @dir_mode: the directory's mode.
 * @dir_uid: the directory's owner, initial user namespace.
 * @dir_gid: the directory's group, initial user namespace.
 * @flags: per hook: RENAME_*, XATTR_CREATE or XATTR_REPLACE, the lookup
 *	mode.
 * @info: CHECMATE_INODE_F_* bits: NAME_CUT, name holds its first 63 bytes;
 *	NAME2_CUT, name2 holds its first 63 bytes.
 * @name_len: the full length of the name.
 * @name2_len: the full length of the second name.
 * @reserved: 0.
 * @name: the name (the last component), NUL-terminated.
 * @name2: per hook: the link's target, the old name, the attribute's name,
 *	NUL-terminated.
 * @new_mode: path_chmod: the mode the inode gets. This field and the ones
 *	after it were appended: programs built for the fields above stay
 *	valid.
 * @new_uid: path_chown: the owner the inode gets, or 0xffffffff.
 * @new_gid: path_chown: the group the inode gets, or 0xffffffff.
 * @size: inode_setxattr: the value's size; inode_set_acl: the number of
 *	ACL entries.
 */
struct checmate_inode_ctx {
	__u64 ino;
	__u64 dir_ino;
	__u64 old_dir_ino;
	__u64 target_ino;
	__u32 dev;
	__u32 mode;
	__u32 rdev;
	__u32 uid;
	__u32 gid;
	__u32 nlink;
	__u32 dir_mode;
	__u32 dir_uid;
	__u32 dir_gid;
	__u32 flags;
	__u32 info;		/* CHECMATE_INODE_F_* */
	__u32 name_len;
	__u32 name2_len;
	__u32 reserved;
	char name[64];
	char name2[64];
	/* Appended: programs built for the fields above stay valid. */
	__u32 new_mode;		/* path_chmod */
	__u32 new_uid;		/* path_chown */
	__u32 new_gid;		/* path_chown */
	__u32 size;		/* inode_setxattr: the value's size */
};

/**
 * DOC: task_ctx
 *
 * Task hooks: pid, tgid, uid and gid of the other task (the target, child,
 * tracer or new task; 0 where it has none yet), in the initial namespaces.
 *
 * task_alloc
 *   flags = clone_flags
 *
 * bprm_check_security
 *   ino, dev of the file to execute; pid etc. = current
 *
 * ptrace_access_check
 *   flags = PTRACE_MODE_* mode: PTRACE_MODE_ATTACH (2) for ptrace attach,
 *   /proc/PID/mem, process_vm_*v(), pidfd_getfd(); PTRACE_MODE_READ (1)
 *   for the read checks (most /proc/PID files, kcmp()); plus
 *   PTRACE_MODE_FSCREDS or _REALCREDS; target = the tracee; descendant = 1
 *   if the tracee is the caller or one of its descendants (Yama's
 *   ptrace_scope 1 relation)
 *
 * ptrace_traceme
 *   target = the would-be tracer
 *
 * task_kill
 *   arg = signal number; target = the signalled task; sender_tgid,
 *   sender_uid (euid, initial namespace), sender_cgroup_id (cgroup v2 id):
 *   the task that sends it (kill(2), tgkill(2), rt_sigqueueinfo(2),
 *   pidfd_send_signal(2)...). The kernel also signals on behalf of a USB
 *   device file's opener when its asynchronous I/O completes, in interrupt
 *   context: then sender_uid is the opener's euid and sender_tgid and
 *   sender_cgroup_id are 0. So programs of task_kill may not call helpers
 *   about the current task
 *
 * file_send_sigiotask
 *   a signal the kernel sends for I/O on a file whose owner was set with
 *   fcntl(F_SETOWN, F_SETOWN_EX) or ioctl(FIOSETOWN, SIOCSPGRP): SIGIO (or
 *   the F_SETSIG signal) when O_ASYNC I/O is possible, SIGURG for TCP
 *   urgent data; after the kernel's own check (the owner-setter's uid or
 *   euid matches the target's uid or suid, or is root). target = the
 *   signalled task; arg = the signal that will be sent (SIGIO for F_SETSIG
 *   0); ino, dev = the file's; sender_uid = the euid of the task that set
 *   the owner, sender_tgid and sender_cgroup_id 0. Called in interrupt or
 *   softirq context too (a socket's data arriving), from whatever task is
 *   current: no helper about it
 *
 * task_setnice
 *   setpriority(2) (PRIO_PROCESS, _PGRP, _USER: once per task), nice(2),
 *   writes to /proc/PID/autogroup, after the kernel's own permission check
 *   and with tasklist lock held (atomic): target = the task whose nice
 *   value changes; arg = the new nice value (-20..19, as a two's
 *   complement 32-bit value). A denial fails the call with the errno
 *   (setpriority: for that task). sched_setattr(2) and
 *   sched_setscheduler(2) change nice values too: they cross
 *   task_setscheduler
 *
 * task_setscheduler
 *   sched_setscheduler(2), sched_setparam(2), sched_setattr(2) (policy,
 *   priority, nice value), sched_setaffinity(2), writes to
 *   /proc/PID/timerslack_ns, and a cpuset's tasks moved by a write to
 *   cgroup.procs (current = the writer), after the kernel's own checks:
 *   target = the task whose scheduling changes; the new values are not
 *   passed
 */
/**
 * struct checmate_task_ctx - context of the task hooks
 * @pid: the other task's pid, initial pid namespace.
 * @tgid: the other task's tgid, initial pid namespace.
 * @uid: the other task's uid, initial user namespace.
 * @gid: the other task's gid, initial user namespace.
 * @arg: per hook: the signal number, the new nice value.
 * @dev: the file's device (bprm_check_security, file_send_sigiotask).
 * @flags: per hook: clone_flags, the PTRACE_MODE_* mode.
 * @ino: the file's inode number (bprm_check_security,
 *	file_send_sigiotask).
 * @descendant: ptrace_access_check: 1 if the tracee is the caller or one
 *	of its descendants.
 * @reserved: 0.
 * @sender_tgid: the sending task's tgid. This field and the ones after it
 *	were appended: programs built for the fields above stay valid.
 * @sender_uid: the sending task's euid, initial user namespace.
 * @sender_cgroup_id: the sending task's cgroup v2 id.
 */
struct checmate_task_ctx {
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 gid;
	__u32 arg;
	__u32 dev;
	__u64 flags;
	__u64 ino;
	__u32 descendant;
	__u32 reserved;
	/* Appended: programs built for the fields above stay valid. */
	__u32 sender_tgid;
	__u32 sender_uid;
	__u64 sender_cgroup_id;
};

/**
 * DOC: mount_ctx
 *
 * Mount hooks.
 *
 * sb_mount
 *   flags = mount flags, ino/dev of the mount point, fstype = type string
 *   (NUL-terminated, may be cut)
 *
 * sb_umount
 *   flags = umount flags, mnt_flags of the mount (MNT_LOCKED...), ino/dev
 *   of its root; fstype, s_magic of its filesystem
 *
 * path_chroot
 *   ino/dev of the new root
 *
 * sb_kern_mount
 *   a new mount of a filesystem by user space, after the filesystem made
 *   or found its superblock: mount(2) of a filesystem (not MS_BIND,
 *   MS_MOVE, MS_REMOUNT or a propagation change) and
 *   fsconfig(FSCONFIG_CMD_CREATE or _CREATE_EXCL) of the new mount API;
 *   not the kernel's own mounts. flags = the superblock's SB_* flags
 *   (SB_RDONLY...), ino/dev of its root, fstype, s_magic
 *
 * move_mount
 *   move_mount(): the attach of a tree made by fsmount() or
 *   open_tree(OPEN_TREE_CLONE), the move of a mount, MOVE_MOUNT_SET_GROUP:
 *   ino/dev of the mount point (to); ino2/dev2 of the root of what is
 *   attached or moved (from), fstype, s_magic and mnt_flags of its mount
 *
 * sb_pivotroot
 *   pivot_root(): ino/dev of the new root, fstype and s_magic of its
 *   filesystem; ino2/dev2 of put_old
 *
 * sb_remount
 *   a change of a mounted filesystem's options (reconfigure_super()):
 *   mount(2) with MS_REMOUNT (without MS_BIND),
 *   fsconfig(FSCONFIG_CMD_RECONFIGURE), umount(2) of the root filesystem
 *   (remounted read-only), and the emergency read-only remount of SysRq-u
 *   (from a kernel worker); after the kernel's own checks. The superblock
 *   as it is, before the change: flags = its SB_* flags, ino/dev of its
 *   root, fstype, s_magic. The new options are not passed to the hook (a
 *   remount read-write cannot be told from one read-only); a bind mount's
 *   MS_REMOUNT|MS_BIND (per-mount flags) does not cross it
 *
 * In all seven, userns_level is the nesting level of the caller's user
 * namespace (0 in the initial one) and chrooted is the kernel's
 * current_chrooted(): 1 if the caller's root is not the root of its mount
 * namespace, that root found by following the mounts stacked on the
 * namespace's root mount to the topmost one; else 0. A chroot() into any
 * other directory, a mount's root included, gives 1; a root that took the
 * namespace root's place (mount --move onto / and chroot("."), or
 * pivot_root() from such a root) gives 0. In path_chroot it describes the
 * caller before the chroot.
 *
 * sb_mount is crossed by every form of mount(2), not by the new mount API
 * (fsopen(), fsconfig(), fsmount(), move_mount(), open_tree(),
 * mount_setattr()): new superblocks of either API cross sb_kern_mount,
 * attaches of the new API move_mount; mount_setattr() (read-only,
 * nosuid, propagation, idmapping of existing mounts) crosses no hook in
 * Linux 6.12;
 * sb_umount by umount(2) and umount2(2), after the kernel's own checks
 * (a locked mount fails with EINVAL before it); path_chroot by chroot(2).
 */
/**
 * struct checmate_mount_ctx - context of the mount hooks
 * @flags: per hook: the mount flags, the umount flags, the superblock's
 *	SB_* flags.
 * @ino: the inode number of the mount point, of the mount's root or of the
 *	new root.
 * @dev: the device of that inode.
 * @mnt_flags: the mount's MNT_* flags (sb_umount, move_mount).
 * @userns_level: the nesting level of the caller's user namespace (0 in
 *	the initial one).
 * @chrooted: the kernel's current_chrooted(): 1 if the caller's root is
 *	not the root of its mount namespace, else 0.
 * @fstype: the filesystem type, NUL-terminated, may be cut.
 * @ino2: move_mount: the root of what is attached or moved; sb_pivotroot:
 *	put_old. This field and the ones after it were appended: programs
 *	built for the fields above stay valid.
 * @dev2: the device of ino2.
 * @s_magic: the s_magic of the filesystem.
 */
struct checmate_mount_ctx {
	__u64 flags;
	__u64 ino;
	__u32 dev;
	__u32 mnt_flags;
	__u32 userns_level;
	__u32 chrooted;
	char fstype[16];
	/* Appended: programs built for the fields above stay valid. */
	__u64 ino2;
	__u32 dev2;
	__u32 s_magic;
};

/**
 * DOC: unix_ctx
 *
 * Unix socket hooks: the peer a UNIX socket is about to reach, found by the
 * kernel (after the path lookup or the abstract name's hash), with both
 * sockets locked: what a path string in connect(2) cannot say (symlinks,
 * the caller's root and cwd, another mount namespace).
 *
 * unix_stream_connect
 *   connect(2) of a SOCK_STREAM or SOCK_SEQPACKET socket (io_uring's
 *   CONNECT too): peer = the listening socket
 *
 * unix_may_send
 *   connect(2) of a SOCK_DGRAM socket (not to AF_UNSPEC), and every
 *   sendto(2), sendmsg(2) and sendmmsg(2) message of one, with or without
 *   msg_name (to the connected peer then): peer = the receiving socket.
 *   Not crossed by SOCK_SEQPACKET sends, nor by sends on a connected
 *   stream socket
 *
 * type is the socket type, cgroup_id and netns_cookie those of the
 * caller's socket (as in &struct checmate_sock_ctx), peer_cgroup_id and
 * peer_netns_cookie the peer's (a socket bound to a path can be reached
 * from another network namespace). The peer's address: with
 * CHECMATE_UNIX_F_BOUND, name holds its sun_path bytes, name_len of them
 * (a path is NUL-terminated when shorter than 108 bytes; nothing is cut,
 * sun_path is 108 bytes); with CHECMATE_UNIX_F_ABSTRACT too, the name is
 * abstract and name holds it without its leading NUL byte (autobind names
 * are abstract, 5 hex digits); otherwise it is bound to a path and
 * peer_ino, peer_dev are the socket file's inode (as stat(2) of the path
 * shows them; the path string is the one given to bind(2), relative ones
 * included). An unbound peer (a socketpair(2) end) has neither flag.
 * With CHECMATE_UNIX_F_PEERCRED, peer_pid, peer_uid and peer_gid are the
 * peer socket's SO_PEERCRED (the tgid, euid and egid of the task that
 * called listen(2) or socketpair(2)), in the initial namespaces; a bound
 * datagram socket has none. peer_owner_uid is always the fsuid of the
 * task that created the peer socket (its owner, as fstat(2) shows it).
 */

/* checmate_unix_ctx.info */
#define CHECMATE_UNIX_F_BOUND		(1U << 0) /* the peer has an address */
#define CHECMATE_UNIX_F_ABSTRACT	(1U << 1) /* ... in the abstract namespace */
#define CHECMATE_UNIX_F_PEERCRED	(1U << 2) /* peer_pid, _uid, _gid set */

/**
 * struct checmate_unix_ctx - context of the UNIX socket hooks
 * @type: the socket type (sk->sk_type).
 * @info: CHECMATE_UNIX_F_* bits: BOUND, the peer has an address; ABSTRACT,
 *	it is in the abstract namespace (autobind names are: 5 hex digits);
 *	PEERCRED, peer_pid, peer_uid and peer_gid are set.
 * @cgroup_id: the cgroup v2 id of the caller's socket (as in &struct
 *	checmate_sock_ctx).
 * @netns_cookie: the cookie of the caller's socket's network namespace.
 * @peer_ino: a peer bound to a path: the inode number of its socket file
 *	(unix_sk(other)->path), as stat(2) of the path shows it; else 0.
 * @peer_dev: the device of that socket file; else 0.
 * @peer_pid: the peer socket's SO_PEERCRED (that of the task that called
 *	listen(2) or socketpair(2)): its tgid (sk_peer_pid), initial pid
 *	namespace; with CHECMATE_UNIX_F_PEERCRED only.
 * @peer_uid: the euid of the peer socket's SO_PEERCRED (sk_peer_cred),
 *	initial user namespace.
 * @peer_gid: the egid of the peer socket's SO_PEERCRED (sk_peer_cred),
 *	initial user namespace.
 * @peer_cgroup_id: the cgroup v2 id of the peer socket.
 * @peer_netns_cookie: the cookie of the peer socket's network namespace.
 * @peer_owner_uid: the fsuid of the task that created the peer socket
 *	(sk_uid, the socket inode's owner as fstat(2) shows it); always set.
 * @name_len: the number of bytes of name used.
 * @name: the peer's address (unix_sk(other)->addr): the sun_path bytes,
 *	without the leading NUL of an abstract name (which may hold any
 *	byte). Never cut: name has the 108 bytes of sun_path.
 * @reserved: 0.
 */
struct checmate_unix_ctx {
	__u32 type;
	__u32 info;		/* CHECMATE_UNIX_F_* */
	__u64 cgroup_id;
	__u64 netns_cookie;
	__u64 peer_ino;
	__u32 peer_dev;
	__u32 peer_pid;
	__u32 peer_uid;
	__u32 peer_gid;
	__u64 peer_cgroup_id;
	__u64 peer_netns_cookie;
	__u32 peer_owner_uid;
	__u32 name_len;
	char name[108];
	__u32 reserved;
};

/**
 * DOC: cred_ctx
 *
 * Credential hooks: credentials and what is about to change in them. Ids
 * are in the initial user namespace, capability sets bit masks of CAP_*
 * (bit N = capability N). uid ... fsgid, cap_effective, cap_permitted,
 * cap_inheritable and userns_level describe the credentials the hook is
 * about (the current ones, before the change); new_* what they become.
 * pid, tgid and cgroup_id (cgroup v2 id) are always the calling task's
 * (initial pid namespace).
 *
 * userns_create
 *   unshare(CLONE_NEWUSER), clone(), clone3() and fork-like calls with
 *   CLONE_NEWUSER, after the kernel's own checks (nesting depth, chroot,
 *   mappings of the creator's ids): the credentials of the creator;
 *   userns_level = the level of its user namespace, the new namespace's
 *   parent (0 in the initial one; the new one gets userns_level + 1)
 *
 * capable
 *   every capability check of the kernel (capable(), ns_capable(),
 *   file_ns_capable(), has_capability() and their _noaudit forms), after
 *   the capability module found the capability in the credentials: cap =
 *   the CAP_* number, cap_opts = CAP_OPT_* (CAP_OPT_NOAUDIT 2,
 *   CAP_OPT_INSETID 4); target_userns_level = the level of the user
 *   namespace it is asked in, ns_relation = CHECMATE_NS_* of that
 *   namespace to the credentials' own. Called from any context, often with
 *   spinlocks held or under RCU; the credentials may be another task's
 *   (has_capability(), ptrace checks) or an open file's
 *   (file_ns_capable()): CHECMATE_CRED_F_CURRENT says they are the calling
 *   task's
 *
 * task_fix_setuid
 *   setuid(2), setreuid(2), setresuid(2), setfsuid(2) (and their 16-bit
 *   forms), after the kernel's own checks: new_uid, new_euid, new_suid,
 *   new_fsuid; setid = LSM_SETID_ID (1, setuid), _RE (2), _RES (4), _FS
 *   (8)
 *
 * task_fix_setgid
 *   the same for setgid(2), setregid(2), setresgid(2), setfsgid(2):
 *   new_gid, new_egid, new_sgid, new_fsgid
 *
 * capset
 *   capset(2), after the kernel's own checks: new_cap_effective,
 *   new_cap_permitted, new_cap_inheritable
 *
 * task_fix_setgroups
 *   setgroups(2) (and its 16-bit form), after the kernel built the new
 *   list: ngroups, new_ngroups = the number of supplementary groups before
 *   and after; CHECMATE_CRED_F_GROUP0: the new list holds gid 0 and the
 *   old one does not
 *
 * task_prctl
 *   prctl(2) with every option but PR_CHECMATE (which never reaches
 *   programs): option, args = arg2 ... arg5 (integers; pointers among them
 *   are user addresses and not read); after the LSMs before Checmate in
 *   the LSM order handled their options (Yama's PR_SET_PTRACER crosses it
 *   once Yama accepted it), before the kernel's own handling; a denial
 *   makes prctl() fail with the errno. The options the capability module
 *   implements (PR_CAPBSET_READ, _DROP, PR_GET_SECUREBITS,
 *   PR_SET_SECUREBITS, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAP_AMBIENT)
 *   are done before Checmate's turn: a query it answers with a positive
 *   value does not reach Checmate; a change is already applied, so a
 *   denial of one that is not a drop kills the caller
 *   (CHECMATE_CRED_F_APPLIED)
 *
 * pidns_level is the nesting level of the caller's pid namespace (0 in
 * the initial one): the namespace pids given as arguments are read in.
 *
 * Denials that would keep privileges are not enforced. A filter that can
 * refuse a privilege drop can leave a program running with more privilege
 * than it meant to keep (a daemon's setuid() that fails unchecked keeps
 * root). So Checmate sets CHECMATE_CRED_F_DROP, runs the programs (their
 * denials are counted and reported as not enforced) and allows, when:
 *
 * - task_fix_setuid: every new id is one of the old uid, euid, suid (for
 *   setfsuid, fsuid too), a change the kernel allows without CAP_SETUID,
 *   and it gains nothing: no capability set grows (the capability module
 *   has already computed the new sets) and neither euid nor fsuid becomes
 *   0 where it was not (seteuid(0) of a process whose real or saved uid is
 *   0 regains root: not a drop); task_fix_setgid likewise with the gids
 *   (egid and fsgid 0);
 * - task_fix_setgroups: every new group is one of the old;
 * - capset: no set gains a capability;
 * - task_prctl: the option only restricts the caller or only reads:
 *   PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAPBSET_DROP, PR_CAP_AMBIENT
 *   with PR_CAP_AMBIENT_LOWER, _CLEAR_ALL or _IS_SET, PR_CAPBSET_READ,
 *   PR_GET_SECUREBITS, PR_GET_KEEPCAPS, PR_SET_DUMPABLE 0, PR_SET_KEEPCAPS
 *   0, PR_SET_MDWE, PR_SET_SPECULATION_CTRL that disables a speculation
 *   feature (PR_SPEC_DISABLE, _FORCE_DISABLE, _DISABLE_NOEXEC) or enables
 *   the L1D flush (PR_SET_SECUREBITS is applied before Checmate runs and
 *   the bits before it are gone, so it is judged a change: a refusal
 *   kills);
 * - capable: CAP_SETUID and CAP_SETGID checked by the set*id() and
 *   setgroups() calls (CAP_OPT_INSETID; the change itself is judged at
 *   task_fix_setuid, task_fix_setgid and task_fix_setgroups) and
 *   CAP_SETPCAP (it gates PR_CAPBSET_DROP and securebits; capability
 *   gains are judged at capset and task_prctl).
 *
 * Any other change may be refused: root becoming another user, as daemons
 * drop root, is a switch to ids it did not have, which a policy may
 * restrict (as SafeSetID does). A denied task_fix_setuid, task_fix_setgid,
 * task_fix_setgroups or capset, or a denied task_prctl change the
 * capability module already applied, fails the call with the errno and
 * also kills the caller with SIGKILL, as SafeSetID does: a program that
 * does not check the result would run on with credentials it meant to
 * leave (or, for those prctl options, with the change made).
 *
 * Checmate's own privilege check (CAP_SYS_ADMIN in the initial user
 * namespace, for prctl(PR_CHECMATE) and its securityfs files) does not run
 * capable's programs: no program, locked or not, can keep the
 * administrator from Checmate's operations. Loading a new program is
 * bpf(2)'s, whose own capability checks do cross capable.
 */

/* checmate_cred_ctx.info */
#define CHECMATE_CRED_F_CURRENT	(1U << 0) /* the calling task's credentials */
#define CHECMATE_CRED_F_DROP	(1U << 1) /* gains nothing: never refused */
#define CHECMATE_CRED_F_APPLIED	(1U << 2) /* task_prctl: already applied */
#define CHECMATE_CRED_F_GROUP0	(1U << 3) /* task_fix_setgroups: gains gid 0 */

/* checmate_cred_ctx.ns_relation: the namespace capable() asks about */
#define CHECMATE_NS_OWN		0 /* the credentials' own user namespace */
#define CHECMATE_NS_DESCENDANT	1 /* a namespace below it */
#define CHECMATE_NS_OTHER	2 /* above it, or in another branch */

/**
 * struct checmate_cred_ctx - context of the credential hooks
 * @pid: the calling task's pid, initial pid namespace.
 * @tgid: the calling task's tgid, initial pid namespace.
 * @uid: the credentials' uid.
 * @euid: the credentials' euid.
 * @suid: the credentials' saved uid.
 * @fsuid: the credentials' fsuid.
 * @gid: the credentials' gid.
 * @egid: the credentials' egid.
 * @sgid: the credentials' saved gid.
 * @fsgid: the credentials' fsgid.
 * @userns_level: the nesting level of the credentials' user namespace (0
 *	in the initial one).
 * @reserved: 0.
 * @cap_effective: the effective capability set.
 * @cap_permitted: the permitted capability set.
 * @cap_inheritable: the inheritable capability set. This field and the
 *	ones after it were appended: programs built for the fields above stay
 *	valid.
 * @cgroup_id: the calling task's cgroup v2 id.
 * @info: CHECMATE_CRED_F_* bits: CURRENT, the calling task's credentials;
 *	DROP, the change gains nothing and is never refused; APPLIED,
 *	task_prctl: the change is already applied; GROUP0,
 *	task_fix_setgroups: the new list gains gid 0.
 * @cap: capable: the CAP_* number.
 * @cap_opts: capable: CAP_OPT_* bits.
 * @target_userns_level: capable: the level of the user namespace the
 *	capability is asked in.
 * @ns_relation: capable: CHECMATE_NS_* of the namespace capable() asks
 *	about: CHECMATE_NS_OWN (0), the credentials' own user namespace;
 *	CHECMATE_NS_DESCENDANT (1), a namespace below it; CHECMATE_NS_OTHER
 *	(2), above it, or in another branch.
 * @setid: task_fix_setuid, task_fix_setgid: LSM_SETID_*.
 * @new_uid: task_fix_setuid: the new uid.
 * @new_euid: task_fix_setuid: the new euid.
 * @new_suid: task_fix_setuid: the new saved uid.
 * @new_fsuid: task_fix_setuid: the new fsuid.
 * @new_gid: task_fix_setgid: the new gid.
 * @new_egid: task_fix_setgid: the new egid.
 * @new_sgid: task_fix_setgid: the new saved gid.
 * @new_fsgid: task_fix_setgid: the new fsgid.
 * @new_cap_effective: capset: the new effective set.
 * @new_cap_permitted: capset: the new permitted set.
 * @new_cap_inheritable: capset: the new inheritable set.
 * @option: task_prctl: PR_*.
 * @pidns_level: the nesting level of the caller's pid namespace.
 * @args: task_prctl: arg2 ... arg5.
 * @ngroups: task_fix_setgroups: the number of supplementary groups before.
 * @new_ngroups: task_fix_setgroups: the number after.
 */
struct checmate_cred_ctx {
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 euid;
	__u32 suid;
	__u32 fsuid;
	__u32 gid;
	__u32 egid;
	__u32 sgid;
	__u32 fsgid;
	__u32 userns_level;
	__u32 reserved;
	__u64 cap_effective;
	__u64 cap_permitted;
	/* Appended: programs built for the fields above stay valid. */
	__u64 cap_inheritable;
	__u64 cgroup_id;
	__u32 info;		/* CHECMATE_CRED_F_* */
	__u32 cap;		/* capable */
	__u32 cap_opts;		/* capable: CAP_OPT_* */
	__u32 target_userns_level; /* capable */
	__u32 ns_relation;	/* capable: CHECMATE_NS_* */
	__u32 setid;		/* task_fix_set*id: LSM_SETID_* */
	__u32 new_uid;
	__u32 new_euid;
	__u32 new_suid;
	__u32 new_fsuid;
	__u32 new_gid;
	__u32 new_egid;
	__u32 new_sgid;
	__u32 new_fsgid;
	__u64 new_cap_effective;
	__u64 new_cap_permitted;
	__u64 new_cap_inheritable;
	__u32 option;		/* task_prctl: PR_* */
	__u32 pidns_level;
	__u64 args[4];		/* task_prctl: arg2 ... arg5 */
	__u32 ngroups;		/* task_fix_setgroups */
	__u32 new_ngroups;	/* task_fix_setgroups */
};

/**
 * DOC: exec_ctx
 *
 * Code hooks: the file whose contents become code or memory, ino, dev,
 * mode, owner uid and gid (initial user namespace), nlink (0: unlinked,
 * such as a memfd or an O_TMPFILE file), s_magic of its filesystem
 * (TMPFS_MAGIC for memfds and shmem) and mnt_flags of the mount it was
 * opened on (MNT_NOSUID 0x1, MNT_NODEV 0x2, MNT_NOEXEC 0x4, MNT_READONLY
 * 0x40, include/linux/mount.h); euid, egid and cap_permitted are the
 * caller's.
 *
 * bprm_creds_for_exec
 *   execve(2) and execveat(2), once per execution, before the kernel looks
 *   at the file's format (and before any interpreter is chosen): the file
 *   as named by the caller (a script, not its interpreter; a memfd by
 *   fexecve()); euid, egid, cap_permitted are the caller's; new_* 0. A
 *   denial fails execve() with the errno, the old program going on
 *
 * bprm_creds_from_file
 *   execve(2) and execveat(2), once per execution (not once per
 *   interpreter), after the kernel computed the new program's credentials
 *   and before the point of no return: a denial fails execve cleanly. The
 *   file is the one whose set-id bits count: the binary loaded (for a
 *   script, its interpreter; a binfmt_misc entry with the C flag: the file
 *   executed); mode includes S_ISUID and S_ISGID. new_euid, new_egid,
 *   new_cap_permitted, new_cap_effective: what the program will run with
 *   (set-id bits and file capabilities applied unless the mount is nosuid,
 *   no_new_privs is set or the ids have no mapping); secureexec =
 *   AT_SECURE as the program will see it
 *
 * mmap_file
 *   mmap(2) (also of anonymous memory, with CHECMATE_EXEC_F_ANON and the
 *   file fields 0), shmat(2), remap_file_pages(2), and the kernel's own
 *   mappings of an ELF program and its interpreter at execve (after the
 *   point of no return: a denial there kills the process). reqprot =
 *   PROT_* asked for, prot = PROT_* applied (PROT_EXEC added by
 *   READ_IMPLIES_EXEC); flags = MAP_*; CHECMATE_EXEC_F_WRITABLE: the file
 *   is open for writing
 *
 * file_mprotect
 *   mprotect(2), pkey_mprotect(2), once per memory area the range covers
 *   (an area already as asked that the one before merges with is skipped),
 *   with the mmap lock held: the area's file (or CHECMATE_EXEC_F_ANON),
 *   vm_flags = its VM_* flags before the change (VM_READ 0x1, VM_WRITE
 *   0x2, VM_EXEC 0x4, VM_SHARED 0x8, VM_GROWSDOWN 0x100 for a stack),
 *   reqprot, prot as for mmap_file
 *
 * A field the hook has no value for is 0.
 */

/* checmate_exec_ctx.info */
#define CHECMATE_EXEC_F_ANON		(1U << 0) /* no file: anonymous memory */
#define CHECMATE_EXEC_F_WRITABLE	(1U << 1) /* the file is open for writing */

/**
 * struct checmate_exec_ctx - context of the code hooks
 * @ino: the file's inode number.
 * @vm_flags: file_mprotect: the area's VM_* flags before the change.
 * @cap_permitted: the caller's permitted capability set.
 * @new_cap_permitted: bprm_creds_from_file: the permitted set the program
 *	will run with.
 * @new_cap_effective: bprm_creds_from_file: the effective set the program
 *	will run with.
 * @dev: the file's device.
 * @mode: the file's mode.
 * @uid: the file's owner, initial user namespace.
 * @gid: the file's group, initial user namespace.
 * @nlink: the file's link count (0: unlinked).
 * @s_magic: the s_magic of the file's filesystem.
 * @mnt_flags: the mnt_flags of the mount the file was opened on.
 * @info: CHECMATE_EXEC_F_* bits: ANON, no file: anonymous memory;
 *	WRITABLE, the file is open for writing.
 * @euid: the caller's euid.
 * @egid: the caller's egid.
 * @new_euid: bprm_creds_from_file: the euid the program will run with.
 * @new_egid: bprm_creds_from_file: the egid the program will run with.
 * @secureexec: bprm_creds_from_file: AT_SECURE as the program will see it.
 * @reqprot: mmap_file, file_mprotect: the PROT_* asked for.
 * @prot: mmap_file, file_mprotect: the PROT_* applied.
 * @flags: mmap_file: MAP_*.
 */
struct checmate_exec_ctx {
	__u64 ino;
	__u64 vm_flags;
	__u64 cap_permitted;
	__u64 new_cap_permitted;
	__u64 new_cap_effective;
	__u32 dev;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 nlink;
	__u32 s_magic;
	__u32 mnt_flags;
	__u32 info;		/* CHECMATE_EXEC_F_* */
	__u32 euid;
	__u32 egid;
	__u32 new_euid;
	__u32 new_egid;
	__u32 secureexec;
	__u32 reqprot;
	__u32 prot;
	__u32 flags;
};

/**
 * DOC: kernel_ctx
 *
 * Kernel integrity hooks: what the kernel is about to load into itself, on
 * every path the kernel has for it, and who asks.
 *
 * kernel_module_request
 *   request_module(): the kernel asks user space (modprobe_path,
 *   "/sbin/modprobe") to load a module by name, for a feature not built
 *   in: socket(2) of an absent family ("net-pf-N", "net-pf-N-proto-M"), a
 *   filesystem type ("fs-NAME"), a crypto algorithm ("crypto-NAME"), a
 *   line discipline, a netlink or qdisc family, a device
 *   ("char-major-M-N")...; called in the task that needs the feature (a
 *   kernel thread for requests from workers), before modprobe is run.
 *   name = the module name asked for (at most 55 bytes: longer names fail
 *   with ENAMETOOLONG first); id = LOADING_MODULE (2); file fields 0. A
 *   denial: modprobe is not run and request_module() returns the errno,
 *   which most callers ignore: they fail as if the module did not exist
 *   (socket(2): EAFNOSUPPORT). Not crossed when modprobe_path is empty
 *
 * kernel_read_file
 *   the kernel reads a file into its memory (fs/kernel_read_file.c):
 *   finit_module(2) (READING_MODULE, the file as given, a compressed one
 *   included), kexec_file_load(2) (READING_KEXEC_IMAGE and
 *   READING_KEXEC_INITRAMFS), firmware from the file system
 *   (READING_FIRMWARE), security policies and keys loaded from files
 *   (READING_POLICY: IMA, LoadPin; READING_X509_CERTIFICATE: the integrity
 *   keyrings), and other drivers' files; after the kernel's own checks (a
 *   regular, non-empty file, not open for writing), with writes to it
 *   denied until the read ends. ino, dev, mode, uid, gid, s_magic,
 *   mnt_flags describe the file (CHECMATE_KERNEL_F_FILE); a denial fails
 *   the call with the errno
 *
 * kernel_load_data
 *   the kernel takes code or data from a buffer rather than a file:
 *   init_module(2) (LOADING_MODULE, with CHECMATE_KERNEL_F_CONTENTS; a
 *   denial fails it with the errno before the buffer is copied),
 *   kexec_load(2) (LOADING_KEXEC_IMAGE; fails with the errno), and the
 *   firmware loader before it asks user space through the sysfs fallback
 *   or takes firmware embedded in EFI (LOADING_FIRMWARE, with
 *   CHECMATE_KERNEL_F_CONTENTS; a denial skips that source); file fields 0
 *
 * inode_init_security_anon
 *   a new anonymous inode that the kernel asks the LSMs to label ("secure"
 *   anonymous inodes): io_uring_setup(2) ("[io_uring]"), userfaultfd(2)
 *   and USERFAULTFD_IOC_NEW on /dev/userfaultfd ("[userfaultfd]"), KVM's
 *   guest_memfd; name = that name; id 0; file fields 0; a denial fails the
 *   call with the errno. Other anonymous files (eventfd, signalfd,
 *   timerfd, epoll, pidfd, bpf objects...) share one inode and do not
 *   cross it
 *
 * bpf
 *   every bpf(2) command, before the kernel acts on it (after it copied
 *   the attributes): bpf_cmd = BPF_* (BPF_MAP_CREATE 0, BPF_PROG_LOAD 5,
 *   BPF_PROG_ATTACH 8, BPF_LINK_CREATE 28...); bpf_prog_type and
 *   bpf_attach_type (its expected_attach_type) for BPF_PROG_LOAD,
 *   bpf_map_type for BPF_MAP_CREATE, bpf_attach_type for BPF_PROG_ATTACH,
 *   BPF_LINK_CREATE and BPF_LINK_UPDATE of a cgroup link, else 0;
 *   CHECMATE_KERNEL_F_BPF_TOKEN: the command uses a BPF token (delegated
 *   BPF). A Checmate program is BPF_PROG_TYPE_CHECMATE with its hook
 *   number as the attach type: a policy can keep other loaders from adding
 *   programs. Refusing the commands a policy loader itself needs
 *   (BPF_PROG_LOAD, BPF_MAP_*) to root stops new policies, not Checmate's
 *   prctl() operations. While socket_connect, socket_sendmsg or
 *   socket_bind is locked, the kernel refuses (EPERM, before any program
 *   runs) the attach of cgroup programs that could rewrite what they
 *   decided on
 *
 * id is the kernel's own enum (include/linux/kernel_read_file.h,
 * include/linux/security.h), the same numbers in both: enum
 * kernel_read_file_id (READING_*) for kernel_read_file, enum
 * kernel_load_data_id (LOADING_*) for kernel_load_data: 0 UNKNOWN,
 * 1 FIRMWARE, 2 MODULE, 3 KEXEC_IMAGE, 4 KEXEC_INITRAMFS, 5 POLICY,
 * 6 X509_CERTIFICATE. CHECMATE_KERNEL_F_CONTENTS: the kernel will also
 * show the whole contents to the LSMs once read (the post hooks, which
 * Checmate does not run): a read of the whole file, or a copied buffer.
 * pid, tgid, caller_uid, caller_euid and cgroup_id (cgroup v2 id) are the
 * calling task's, in the initial namespaces; uid, gid the file's owner.
 * All three run in process context (their callers sleep), the caller
 * possibly holding locks (request_module() is called from many
 * subsystems), so the fill functions only read and copy.
 *
 * Not seen: code built into the kernel image; modules loaded before the
 * programs were attached (at boot, from the initramfs); a finit_module(2)
 * of a file whose load is already in progress, which waits for that load
 * and shares its result without crossing the hook; code that enters the
 * kernel by other means than these loaders (BPF programs: bpf(2)).
 */

/* checmate_kernel_ctx.info */
#define CHECMATE_KERNEL_F_CONTENTS	(1U << 0) /* post hook sees the contents */
#define CHECMATE_KERNEL_F_FILE		(1U << 1) /* ino ... mnt_flags: the file read */
#define CHECMATE_KERNEL_F_NAME_CUT	(1U << 2) /* name holds its first 63 bytes */
#define CHECMATE_KERNEL_F_BPF_TOKEN	(1U << 3) /* bpf: the command uses a token */

/**
 * struct checmate_kernel_ctx - context of the kernel integrity hooks
 * @ino: the file's inode number (kernel_read_file).
 * @cgroup_id: the calling task's cgroup v2 id.
 * @id: READING_* or LOADING_*: the kernel's enums.
 * @info: CHECMATE_KERNEL_F_* bits: CONTENTS, the post hook sees the
 *	contents; FILE, ino ... mnt_flags describe the file read; NAME_CUT,
 *	name holds its first 63 bytes; BPF_TOKEN, bpf: the command uses a
 *	token.
 * @dev: the file's device.
 * @mode: the file's mode.
 * @uid: the file's owner.
 * @gid: the file's group.
 * @s_magic: the s_magic of the file's filesystem.
 * @mnt_flags: the mnt_flags of the mount the file was opened on.
 * @pid: the calling task's pid, initial pid namespace.
 * @tgid: the calling task's tgid, initial pid namespace.
 * @caller_uid: the calling task's uid, initial user namespace.
 * @caller_euid: the calling task's euid, initial user namespace.
 * @name_len: the length of name.
 * @reserved: 0.
 * @name: kernel_module_request, inode_init_security_anon: the module name,
 *	the anonymous inode's name.
 * @bpf_cmd: bpf: the BPF_* command. This field and the ones after it were
 *	appended: programs built for the fields above stay valid.
 * @bpf_prog_type: bpf: BPF_PROG_LOAD's program type.
 * @bpf_attach_type: bpf: the expected or requested attach type.
 * @bpf_map_type: bpf: BPF_MAP_CREATE's map type.
 */
struct checmate_kernel_ctx {
	__u64 ino;
	__u64 cgroup_id;
	__u32 id;		/* READING_* or LOADING_*: the kernel's enums */
	__u32 info;		/* CHECMATE_KERNEL_F_* */
	__u32 dev;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 s_magic;
	__u32 mnt_flags;
	__u32 pid;
	__u32 tgid;
	__u32 caller_uid;
	__u32 caller_euid;
	__u32 name_len;
	__u32 reserved;
	char name[64];		/* kernel_module_request, inode_init_security_anon */
	/* Appended: programs built for the fields above stay valid. */
	__u32 bpf_cmd;
	__u32 bpf_prog_type;
	__u32 bpf_attach_type;
	__u32 bpf_map_type;
};

#endif /* _UAPI_LINUX_CHECMATE_H */
