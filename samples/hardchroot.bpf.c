// SPDX-License-Identifier: GPL-2.0
/*
 * hardchroot-like: processes of the cgroup held by chroot_cgroup (and of
 * its descendants) may not chroot(2) (EPERM), and no chrooted process, in
 * any cgroup, may mount anything, by either mount API, or pivot_root(2)
 * (EPERM).
 *
 * "Chrooted" is the kernel's current_chrooted(), the context's chrooted:
 * the process's root is not the root of its mount namespace (after
 * following the mounts on it). A chroot() into any other directory, a
 * mount's root included, is chrooted; a container root that took the
 * namespace root's place (pivot_root(), or mount --move onto / then
 * chroot(".")) is not.
 *
 * Covered:
 * - chroot(2) (path_chroot);
 * - every form of mount(2) (sb_mount): a new mount, MS_BIND, MS_REMOUNT,
 *   MS_MOVE and MS_SHARED; not the propagation changes that only cut
 *   propagation (MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, see below);
 * - every new superblock of either API (sb_kern_mount): mount(2) of a
 *   filesystem and fsconfig(FSCONFIG_CMD_CREATE or _CREATE_EXCL) after
 *   fsopen(), so a chrooted process gets no new filesystem instance at all;
 * - every attach of the new API (move_mount): of a tree made by fsmount()
 *   (whoever made it) or by open_tree(OPEN_TREE_CLONE) (a bind mount
 *   through the new API), a move of a mount, MOVE_MOUNT_SET_GROUP;
 * - pivot_root(2) (sb_pivotroot).
 *
 * A container runtime is chrooted for a moment: runc and crun enter the
 * container's root with pivot_root(".", "."), which stacks the old root
 * on top of the new one (the namespace's root, followed, is then the old
 * root), make the old root private or slave (mount(2) of "." with MS_REC
 * and MS_PRIVATE or MS_SLAVE) and only then unmount it. So sb_mount allows
 * a chrooted process the propagation changes that cut propagation: they
 * attach, detach and reveal nothing. MS_SHARED stays refused.
 *
 * Not covered: mount_setattr(2), which changes the flags (read-only,
 * nosuid, noexec), propagation and idmapping of existing mounts, crosses
 * no LSM hook in Linux 6.12; fsopen(), fsmount(), open_tree() themselves
 * (they attach nothing: a chrooted process can still use, through its
 * file descriptor, a detached mount another process made, or clone with
 * open_tree() a tree it can already see); umount(2); leaving a chroot
 * (chroot() into a subdirectory and fchdir() out of it, by a process
 * outside chroot_cgroup); leaving a chroot with setns(CLONE_NEWNS) on a
 * pidfd or /proc/PID/ns/mnt of its own mount namespace, which resets the
 * root to the namespace's and crosses no LSM hook in Linux 6.12 (drop
 * CAP_SYS_ADMIN or filter setns() with seccomp in a jail). "Chrooted" is
 * the state of the process that crosses the hook: the caller of fsconfig(),
 * move_mount(), mount(2).
 *
 * Known hole: the propagation changes left to a chrooted process (for
 * container runtimes, below) reach every mount of its mount namespace, so
 * a chrooted root in the initial mount namespace can make the host's
 * mounts private or unbindable (through /proc/1/root); limiting them to
 * other mount namespaces needs a mount-namespace field in the context.
 */
#include "checmate_policy.h"

POLICY_CGROUP(chroot_cgroup);

SEC("checmate/path_chroot")
int no_chroot(struct checmate_mount_ctx *ctx)
{
	return IN_POLICY_CGROUP(chroot_cgroup) ? -EPERM : 0;
}

/* include/uapi/linux/mount.h */
#define MS_REMOUNT	32
#define MS_BIND		4096
#define MS_UNBINDABLE	0x20000
#define MS_PRIVATE	0x40000
#define MS_SLAVE	0x80000
#define MS_SHARED	0x100000

SEC("checmate/sb_mount")
int no_mount_in_chroot(struct checmate_mount_ctx *ctx)
{
	if (!ctx->chrooted)
		return 0;
	/*
	 * What path_mount() does with these flags: with neither MS_REMOUNT
	 * nor MS_BIND and a propagation flag, only a propagation change
	 * (do_change_type(), which refuses more than one such flag).
	 */
	if (!(ctx->flags & (MS_REMOUNT | MS_BIND | MS_SHARED)) &&
	    (ctx->flags & (MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)))
		return 0;
	return -EPERM;
}

SEC("checmate/sb_kern_mount")
int no_new_sb_in_chroot(struct checmate_mount_ctx *ctx)
{
	return ctx->chrooted ? -EPERM : 0;
}

SEC("checmate/move_mount")
int no_move_mount_in_chroot(struct checmate_mount_ctx *ctx)
{
	return ctx->chrooted ? -EPERM : 0;
}

SEC("checmate/sb_pivotroot")
int no_pivot_root_in_chroot(struct checmate_mount_ctx *ctx)
{
	return ctx->chrooted ? -EPERM : 0;
}

char LICENSE[] SEC("license") = "GPL";
