/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Checmate: BPF programs attached to LSM hooks by prctl(PR_CHECMATE, ...)
 *
 * This header is the whole user-visible ABI of Checmate: the prctl operations,
 * the hook numbers, and the context each hook passes to its programs.
 *
 * A program of type BPF_PROG_TYPE_CHECMATE names its hook at load time in
 * expected_attach_type (one of enum checmate_hook). The verifier then checks
 * every context access against that hook's context structure below. Contexts
 * hold copies of values, never kernel pointers.
 *
 * A program returns 0 to allow the operation, or a negative errno to deny it
 * with that errno; any other value denies it with -EPERM.
 */
#ifndef _UAPI_LINUX_CHECMATE_H
#define _UAPI_LINUX_CHECMATE_H

#include <linux/types.h>

/*
 * prctl(PR_CHECMATE, op, arg3, arg4, arg5), op one of enum checmate_op:
 *
 * CHECMATE_OP_ATTACH      hook, prog_fd, flags (0): run the program on the hook
 * CHECMATE_OP_DETACH      hook, prog_fd, 0: stop running it there
 * CHECMATE_OP_RESET       hook, 0, 0: detach every program of the hook
 * CHECMATE_OP_DENY_RESET  hook, 0, 0: lock the hook until reboot: detach,
 *                         reset and a mode that stops enforcement fail with
 *                         EPERM from now on, for every caller
 * CHECMATE_OP_SET_MODE    hook, mode, 0: one of enum checmate_mode
 * CHECMATE_OP_QUERY       hook, struct checmate_query __user *, 0
 * CHECMATE_OP_SET_AUDIT   hook, 1 or 0, 0: report the hook's denials (with
 *                         hook, program id, errno, pid, comm and the
 *                         context's key values), rate-limited, or stop
 *
 * Every operation needs CAP_SYS_ADMIN in the initial user namespace.
 */
enum checmate_op {
	CHECMATE_OP_ATTACH = 1,
	CHECMATE_OP_DETACH = 2,
	CHECMATE_OP_RESET = 3,
	CHECMATE_OP_DENY_RESET = 4,
	CHECMATE_OP_SET_MODE = 5,
	CHECMATE_OP_QUERY = 6,
	CHECMATE_OP_SET_AUDIT = 7,
};

/*
 * Hook modes. A hook starts in CHECMATE_MODE_NORMAL.
 *
 * CHECMATE_MODE_NORMAL       programs run; attach, detach and reset allowed
 * CHECMATE_MODE_APPEND_ONLY  programs run; attach only
 * CHECMATE_MODE_READ_ONLY    programs run; the program list is frozen
 * CHECMATE_MODE_DISABLED     programs stay attached but are not run
 * CHECMATE_MODE_LOG_ONLY     programs run; their denials are reported (as
 *                            with CHECMATE_OP_SET_AUDIT) but not enforced:
 *                            a policy can be tried before it enforces
 *
 * APPEND_ONLY may only be tightened to READ_ONLY, and READ_ONLY is final.
 * A locked hook (CHECMATE_OP_DENY_RESET) cannot be set to DISABLED,
 * LOG_ONLY or back to NORMAL.
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

/*
 * CHECMATE_OP_QUERY: the kernel fills mode and flags, writes up to prog_cnt
 * program ids to prog_ids and sets prog_cnt to the number attached. If the
 * buffer is too small the call fails with ENOSPC after filling it. With
 * prog_cnt 0 (and prog_ids 0) it only reports the count.
 */
struct checmate_query {
	__u32 mode;
	__u32 flags;
	__u32 prog_cnt;
	__u32 reserved;		/* must be 0 */
	__aligned_u64 prog_ids;	/* __u32 array in user memory */
};

/* Hook numbers, passed as expected_attach_type and to prctl. Never renumbered. */
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
	__CHECMATE_HOOK_MAX,
};

/*
 * Network hooks. Ports are in host byte order, IPv4 and IPv6 addresses in
 * network byte order; fields a hook has no value for are 0.
 *
 * socket_create       family, type, protocol; arg = kern
 * socket_bind         local_* = the address asked for; local_port writable:
 *                     the socket binds to the port the program leaves there
 * socket_connect      remote_* = the address asked for, local_* = socket's
 * socket_listen       local_*; arg = backlog
 * socket_accept       local_* of the listening socket
 * socket_sendmsg      remote_* = msg_name if given, else the peer; arg = size
 * socket_recvmsg      local_*, remote_* of the socket; arg = size; flags
 * socket_sock_rcv_skb remote_* = the packet's source, local_* = its destination
 * inet_conn_request   remote_* = the connecting peer, local_* = the listener
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
};

/*
 * File hooks: the inode concerned. uid and gid are in the initial user
 * namespace.
 *
 * file_open           ino, dev, mode, uid, gid; flags = f_flags
 * file_permission     as file_open; flags = MAY_* mask
 * inode_create        dir_ino, dev of the directory; mode = requested mode
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
};

/*
 * Task hooks: pid, tgid, uid and gid of the other task (the target, child,
 * tracer or new task; 0 where it has none yet), in the initial namespaces.
 *
 * task_alloc          flags = clone_flags
 * bprm_check_security ino, dev of the file to execute; pid etc. = current
 * ptrace_access_check flags = PTRACE_MODE_* mode; target = the tracee;
 *                     descendant = 1 if the tracee is the caller or one of
 *                     its descendants (Yama's ptrace_scope 1 relation)
 * ptrace_traceme      target = the would-be tracer
 * task_kill           arg = signal number; target = the signalled task
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
};

/*
 * Mount hooks.
 *
 * sb_mount            flags = mount flags, ino/dev of the mount point,
 *                     fstype = type string (NUL-terminated, may be cut)
 * sb_umount           flags = umount flags, mnt_flags of the mount
 *                     (MNT_LOCKED...), ino/dev of its root
 * path_chroot         ino/dev of the new root
 *
 * In all three, userns_level is the nesting level of the caller's user
 * namespace (0 in the initial one) and chrooted is 1 if the caller's root
 * is not the root of its mount namespace.
 */
struct checmate_mount_ctx {
	__u64 flags;
	__u64 ino;
	__u32 dev;
	__u32 mnt_flags;
	__u32 userns_level;
	__u32 chrooted;
	char fstype[16];
};

#endif /* _UAPI_LINUX_CHECMATE_H */
