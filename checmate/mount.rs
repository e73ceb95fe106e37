// SPDX-License-Identifier: GPL-2.0
//! Mount contexts (`struct checmate_mount_ctx`): the mount hooks.

use crate::ctx::encode_dev;
use kernel::bindings;
use kernel::bindings::checmate_mount_ctx as MountCtx;
use kernel::ffi::{c_char, c_int, c_ulong, c_void};

/// The caller's user namespace level and whether it is chrooted.
///
/// `chrooted` has the kernel's own meaning, that of `current_chrooted()`
/// (`fs/namespace.c`, which also refuses `unshare(CLONE_NEWUSER)` to a
/// chrooted task): the caller's root is not the root of its mount namespace,
/// where that root is found by following the mounts stacked on the
/// namespace's root mount down to the topmost one. So a `chroot()` into any
/// directory other than that one, a mount root included, reads 1; a root
/// that took the place of the namespace's root, by `mount --move` onto `/`
/// and `chroot(".")` (`switch_root`) or by a `pivot_root()` from such a
/// root (container runtimes), reads 0.
fn caller_confinement(ctx: &mut MountCtx) {
    // SAFETY: `current` and its credentials are valid in process context.
    ctx.userns_level = unsafe { (*bindings::current_user_ns()).level } as u32;
    // The mount hooks are called from the mount, umount and chroot system
    // calls, or by a kernel thread doing the same (`init_mount()`,
    // `init_chroot()`), and the fill runs outside any RCU read-side section
    // or spinlock. `current_chrooted()` follows `current->fs` and
    // `current->nsproxy`, then drops path references (`path_put()`).
    // SAFETY: `current` is live, with `fs` and `nsproxy` set (only
    // `do_exit()` clears them), and may sleep here.
    ctx.chrooted = unsafe { bindings::current_chrooted() } as u32;
}

/// Inode number and device of a path's dentry.
///
/// # Safety
///
/// `path` must be a valid path with a positive dentry.
unsafe fn from_path(ctx: &mut MountCtx, path: *const bindings::path) {
    // SAFETY: the caller guarantees a valid path whose dentry has an inode.
    unsafe {
        let inode = &*(*(*path).dentry).d_inode;
        ctx.ino = inode.i_ino as u64;
        ctx.dev = encode_dev((*inode.i_sb).s_dev);
    }
}

pub(crate) unsafe fn sb_mount(
    ctx: &mut MountCtx,
    _dev_name: *const c_char,
    path: *const bindings::path,
    fstype: *const c_char,
    flags: c_ulong,
    _data: *mut c_void,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_path(ctx, path) };
    ctx.flags = flags as u64;
    if !fstype.is_null() {
        // Copy up to 15 bytes and keep the final NUL of the zeroed field.
        for i in 0..ctx.fstype.len() - 1 {
            // SAFETY: `fstype` is a NUL-terminated kernel copy; we stop at NUL.
            let c = unsafe { *fstype.add(i) };
            if c == 0 {
                break;
            }
            ctx.fstype[i] = c as _;
        }
    }
    caller_confinement(ctx);
}

pub(crate) unsafe fn sb_umount(ctx: &mut MountCtx, mnt: *mut bindings::vfsmount, flags: c_int) {
    // SAFETY: valid hook arguments; a mount's root dentry has an inode.
    unsafe {
        let root = bindings::path {
            mnt,
            dentry: (*mnt).mnt_root,
        };
        from_path(ctx, &root);
        ctx.mnt_flags = (*mnt).mnt_flags as u32;
    }
    ctx.flags = flags as u64;
    caller_confinement(ctx);
}

pub(crate) unsafe fn path_chroot(ctx: &mut MountCtx, path: *const bindings::path) {
    // SAFETY: valid hook arguments.
    unsafe { from_path(ctx, path) };
    caller_confinement(ctx);
}
