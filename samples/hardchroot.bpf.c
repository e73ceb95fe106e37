// SPDX-License-Identifier: GPL-2.0
/*
 * hardchroot-like: processes of the cgroup held by chroot_cgroup (and of
 * its descendants) may not chroot(2) (EPERM), and no chrooted process, in
 * any cgroup, may mount(2) anything (EPERM).
 *
 * "Chrooted" is the kernel's current_chrooted(), the context's chrooted:
 * the process's root is not the root of its mount namespace (after
 * following the mounts on it). A chroot() into any other directory, a
 * mount's root included, is chrooted; a container root that took the
 * namespace root's place (pivot_root(), or mount --move onto / then
 * chroot(".")) is not.
 *
 * Covered: chroot(2) (path_chroot); every form of mount(2) (sb_mount): a
 * new mount, MS_BIND, MS_REMOUNT, MS_MOVE and the propagation changes
 * (MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE).
 *
 * Not covered: the new mount API (fsopen(), fsconfig(), fsmount(),
 * open_tree(), move_mount(), mount_setattr()) does not cross sb_mount, so a
 * chrooted process with CAP_SYS_ADMIN can still mount with it; umount(2);
 * pivot_root(2); leaving a chroot (chroot() into a subdirectory and
 * fchdir() out of it, by a process outside chroot_cgroup).
 */
#include "checmate_policy.h"

POLICY_CGROUP(chroot_cgroup);

SEC("checmate/path_chroot")
int no_chroot(struct checmate_mount_ctx *ctx)
{
	return IN_POLICY_CGROUP(chroot_cgroup) ? -EPERM : 0;
}

SEC("checmate/sb_mount")
int no_mount_in_chroot(struct checmate_mount_ctx *ctx)
{
	return ctx->chrooted ? -EPERM : 0;
}

char LICENSE[] SEC("license") = "GPL";
