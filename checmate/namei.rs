// SPDX-License-Identifier: GPL-2.0
//! Name contexts (`struct checmate_inode_ctx`): the hooks that put a name
//! into a directory, `path_mknod`, `path_mkdir`, `path_symlink`,
//! `path_link` and `path_rename` (`fs/namei.c`, `net/unix/af_unix.c`,
//! `kernel/bpf/inode.c`); those that take one away, `path_unlink` and
//! `path_rmdir` (`fs/namei.c`, `fs/cachefiles/`); and those that change
//! an inode by path, `path_truncate`, `path_chmod`, `path_chown`
//! (`fs/open.c`, the last two with the inode locked); the extended
//! attribute and ACL hooks `inode_setxattr`, `inode_removexattr`,
//! `inode_set_acl`, `inode_remove_acl` (`fs/xattr.c`, `fs/posix_acl.c`,
//! the inode locked); and `inode_follow_link` (`fs/namei.c`), called in
//! RCU-walk with no lock and no reference, where the fill only reads
//! RCU-protected memory.
//!
//! The kernel calls them with the directory that gets the name locked
//! (`filename_create()`, `lookup_open()`, `lock_rename()`), in process
//! context, before the filesystem acts. The fills here only read: no
//! allocation, no lock, no reference taken or dropped, and names are
//! copied with bounded copies. Under the directory's lock the new dentry's
//! name is stable, and so are the dentries of a rename (both directories
//! are locked); the source dentry of a link is not locked, so only its
//! inode is read (a positive dentry the caller holds a reference to keeps
//! its inode), never its name.

use crate::ctx::encode_dev;
use crate::ctx::Want;
use crate::report::Describe;
use core::fmt::{self, Write};
use kernel::bindings;
use kernel::bindings::checmate_inode_ctx as InodeCtx;
use kernel::ffi::{c_char, c_int, c_uint, c_void};

/// `S_IALLUGO` (`include/linux/stat.h`): the permission, set-id and sticky
/// bits.
const S_IALLUGO: u32 = bindings::S_ISUID | bindings::S_ISGID | bindings::S_ISVTX | 0o777;

// SAFETY: a UAPI structure of `__u32`/`__u64`/`char` fields only
// (include/uapi/linux/checmate.h), generated `repr(C)` by bindgen.
unsafe impl crate::ctx::Context for InodeCtx {}

/// The text of a NUL-terminated context name.
fn text(name: &[c_char]) -> &str {
    let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    // `c_char` is `u8` in the kernel's Rust.
    let bytes: &[u8] = &name[..end];
    core::str::from_utf8(bytes).unwrap_or("?")
}

impl Describe for InodeCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "dir_ino={} dev={} name={} mode={:o} ino={} target_ino={} flags={:#x}",
            self.dir_ino,
            self.dev,
            text(&self.name),
            self.mode,
            self.ino,
            self.target_ino,
            self.flags
        )
    }
}

const S_IFMT: u32 = bindings::S_IFMT;

/// Copies `len` bytes at `src` into `dst` as a NUL-terminated string, cut
/// to `dst.len() - 1` bytes; returns whether it was cut.
///
/// # Safety
///
/// `src` must be valid for reads of `len` bytes.
unsafe fn copy_name(dst: &mut [c_char], src: *const u8, len: usize) -> bool {
    let n = len.min(dst.len() - 1);
    for (i, d) in dst.iter_mut().take(n).enumerate() {
        // SAFETY: `i < n <= len`, and the caller guarantees `len` bytes.
        *d = unsafe { *src.add(i) } as c_char;
    }
    dst[n] = 0;
    n < len
}

/// The dentry's name into `name`, `name_len` and the cut flag `cut`.
///
/// # Safety
///
/// `dentry` must be valid, its name stable (its parent locked).
unsafe fn dentry_name(
    dentry: *const bindings::dentry,
    name: &mut [c_char],
    name_len: &mut u32,
    info: &mut u32,
    cut: u32,
) {
    // SAFETY: the caller guarantees a valid dentry with a stable name; a
    // qstr's `len` bytes at `name` are the name.
    unsafe {
        let q = &(*dentry).d_name;
        let len = q.__bindgen_anon_1.__bindgen_anon_1.len;
        *name_len = len;
        if copy_name(name, q.name, len as usize) {
            *info |= cut;
        }
    }
}

/// Number, mode, owner and link count of `inode` (the object named).
///
/// # Safety
///
/// `inode` must be a valid inode.
unsafe fn object(ctx: &mut InodeCtx, inode: *const bindings::inode) {
    // SAFETY: the caller guarantees a valid inode.
    let inode = unsafe { &*inode };
    ctx.ino = inode.i_ino as u64;
    ctx.mode = inode.i_mode as u32;
    // kuid/kgid values are the ids in the initial user namespace.
    ctx.uid = inode.i_uid.val;
    ctx.gid = inode.i_gid.val;
    // The link count changes under the inode's lock, which is not held: a
    // volatile read of the aligned word gives one of its values.
    // SAFETY: both variants of the union are the same `unsigned int`.
    ctx.nlink = unsafe { core::ptr::read_volatile(&inode.__bindgen_anon_1.i_nlink) };
}

/// The directory that gets the name (`dir`) and the new name (`dentry`).
///
/// # Safety
///
/// `dir` must be a valid path to a directory, locked, and `dentry` a valid
/// dentry in it.
unsafe fn new_name(
    ctx: &mut InodeCtx,
    dir: *const bindings::path,
    dentry: *const bindings::dentry,
) {
    // SAFETY: the caller guarantees a valid path to a positive dentry; a
    // live inode's superblock is valid.
    let (inode, sb) = unsafe {
        let inode = &*(*(*dir).dentry).d_inode;
        (inode, &*inode.i_sb)
    };
    ctx.dir_ino = inode.i_ino as u64;
    ctx.dev = encode_dev(sb.s_dev);
    ctx.dir_mode = inode.i_mode as u32;
    ctx.dir_uid = inode.i_uid.val;
    ctx.dir_gid = inode.i_gid.val;
    // SAFETY: the caller guarantees a valid dentry under the locked `dir`.
    unsafe {
        dentry_name(
            dentry,
            &mut ctx.name,
            &mut ctx.name_len,
            &mut ctx.info,
            bindings::CHECMATE_INODE_F_NAME_CUT,
        )
    };
}

/// Fills the context of the `path_mknod` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_mknod(
    ctx: &mut InodeCtx,
    _want: Want,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    dev: c_uint,
) {
    // SAFETY: valid hook arguments, the directory locked by the caller.
    unsafe { new_name(ctx, dir, dentry) };
    let mode = mode as u32;
    // mknod(2) of type 0 makes a regular file (`do_mknodat()`).
    let ty = match mode & S_IFMT {
        0 => bindings::S_IFREG,
        ty => ty,
    };
    ctx.mode = ty | (mode & S_IALLUGO);
    // Only devices keep the number: `do_mknodat()` passes 0 for the rest.
    if ty == bindings::S_IFCHR || ty == bindings::S_IFBLK {
        ctx.rdev = dev;
    }
}

/// Fills the context of the `path_mkdir` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_mkdir(
    ctx: &mut InodeCtx,
    _want: Want,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) {
    // SAFETY: valid hook arguments, the directory locked by the caller.
    unsafe { new_name(ctx, dir, dentry) };
    // What `vfs_mkdir()` keeps of the mode asked for.
    ctx.mode = bindings::S_IFDIR | (mode as u32 & (bindings::S_IRWXUGO | bindings::S_ISVTX));
}

/// Fills the context of the `path_symlink` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_symlink(
    ctx: &mut InodeCtx,
    _want: Want,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    old_name: *const c_char,
) {
    // SAFETY: valid hook arguments, the directory locked by the caller.
    unsafe { new_name(ctx, dir, dentry) };
    ctx.mode = bindings::S_IFLNK | bindings::S_IRWXUGO;
    if old_name.is_null() {
        return;
    }
    // The target is the kernel's copy of the user's string (`getname()`),
    // NUL-terminated and at most PATH_MAX bytes with its NUL.
    // SAFETY: `old_name` is a NUL-terminated kernel string; `strnlen()`
    // reads no further than its NUL.
    let len = unsafe { bindings::strnlen(old_name, bindings::PATH_MAX as usize) };
    ctx.name2_len = len as u32;
    // SAFETY: `len` bytes of `old_name` were just found to be readable.
    if unsafe { copy_name(&mut ctx.name2, old_name.cast(), len) } {
        ctx.info |= bindings::CHECMATE_INODE_F_NAME2_CUT;
    }
}

/// Fills the context of the `path_link` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_link(
    ctx: &mut InodeCtx,
    _want: Want,
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
) {
    // SAFETY: valid hook arguments, the new directory locked by the caller.
    unsafe { new_name(ctx, new_dir, new_dentry) };
    // SAFETY: the source is a positive dentry the caller holds (the kernel
    // refuses a negative one before the hook), so its inode stays.
    unsafe { object(ctx, (*old_dentry).d_inode) };
}

/// Fills the context of the `path_rename` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_rename(
    ctx: &mut InodeCtx,
    _want: Want,
    old_dir: *const bindings::path,
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) {
    // SAFETY: valid hook arguments; `lock_rename()` holds both directories.
    unsafe {
        new_name(ctx, new_dir, new_dentry);
        object(ctx, (*old_dentry).d_inode);
        ctx.old_dir_ino = (*(*(*old_dir).dentry).d_inode).i_ino as u64;
        dentry_name(
            old_dentry,
            &mut ctx.name2,
            &mut ctx.name2_len,
            &mut ctx.info,
            bindings::CHECMATE_INODE_F_NAME2_CUT,
        );
        let target = (*new_dentry).d_inode;
        if !target.is_null() {
            ctx.target_ino = (*target).i_ino as u64;
        }
    }
    ctx.flags = flags;
}

/// Fills the context of the `path_unlink` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_unlink(
    ctx: &mut InodeCtx,
    _want: Want,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) {
    // `do_unlinkat()` and cachefiles lock the directory and look the name
    // up first: a negative dentry fails with ENOENT before the hook.
    // SAFETY: valid hook arguments: a locked directory and a positive
    // dentry, whose inode stays while the caller holds it.
    unsafe {
        new_name(ctx, dir, dentry);
        object(ctx, (*dentry).d_inode);
    }
}

/// Fills the context of the `path_rmdir` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_rmdir(
    ctx: &mut InodeCtx,
    _want: Want,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) {
    // SAFETY: as in `path_unlink` (`do_rmdir()`).
    unsafe {
        new_name(ctx, dir, dentry);
        object(ctx, (*dentry).d_inode);
    }
}

/// The inode `path` leads to, and its device.
///
/// # Safety
///
/// `path` must be a valid path to a positive dentry.
unsafe fn by_path(ctx: &mut InodeCtx, path: *const bindings::path) {
    // SAFETY: the caller guarantees a held path to a positive dentry; a
    // live inode's superblock is valid.
    unsafe {
        let inode = (*(*path).dentry).d_inode;
        object(ctx, inode);
        ctx.dev = encode_dev((*(*inode).i_sb).s_dev);
    }
}

/// Fills the context of the `path_truncate` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_truncate(ctx: &mut InodeCtx, _want: Want, path: *const bindings::path) {
    // SAFETY: `vfs_truncate()` holds the path it looked up, to a file.
    unsafe { by_path(ctx, path) };
}

/// Fills the context of the `path_chmod` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_chmod(
    ctx: &mut InodeCtx,
    _want: Want,
    path: *const bindings::path,
    mode: bindings::umode_t,
) {
    // SAFETY: `chmod_common()` holds the path, the inode locked.
    unsafe { by_path(ctx, path) };
    // What `chmod_common()` sets: the bits asked for, the type kept.
    ctx.new_mode = (mode as u32 & S_IALLUGO) | (ctx.mode & !S_IALLUGO);
}

/// Fills the context of the `path_chown` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_chown(
    ctx: &mut InodeCtx,
    _want: Want,
    path: *const bindings::path,
    uid: bindings::kuid_t,
    gid: bindings::kgid_t,
) {
    // SAFETY: `chown_common()` holds the path, the inode locked.
    unsafe { by_path(ctx, path) };
    // The filesystem's ids after the mount's idmapping; INVALID_UID
    // (0xffffffff) where the call leaves the owner as it is.
    ctx.new_uid = uid.val;
    ctx.new_gid = gid.val;
}

/// The inode of `dentry` and its device, and the attribute's name into
/// `name2`.
///
/// # Safety
///
/// `dentry` must be a positive dentry the caller holds, `name` a
/// NUL-terminated kernel string.
unsafe fn xattr(ctx: &mut InodeCtx, dentry: *const bindings::dentry, name: *const c_char) {
    // SAFETY: the caller guarantees a held, positive dentry; a live inode's
    // superblock is valid.
    unsafe {
        let inode = (*dentry).d_inode;
        object(ctx, inode);
        ctx.dev = encode_dev((*(*inode).i_sb).s_dev);
    }
    // At most XATTR_NAME_MAX (255) bytes, the kernel's copy.
    // SAFETY: `name` is a NUL-terminated kernel string; `strnlen()` stops
    // at its NUL.
    let len = unsafe { bindings::strnlen(name, bindings::XATTR_NAME_MAX as usize + 1) };
    ctx.name2_len = len as u32;
    // SAFETY: `len` bytes of `name` were just found to be readable.
    if unsafe { copy_name(&mut ctx.name2, name.cast(), len) } {
        ctx.info |= bindings::CHECMATE_INODE_F_NAME2_CUT;
    }
}

/// Fills the context of the `inode_setxattr` LSM hook. The value is not
/// read, only its size kept.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
// The hook's seven arguments, after the context and what is wanted of it.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn inode_setxattr(
    ctx: &mut InodeCtx,
    _want: Want,
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    name: *const c_char,
    _value: *const c_void,
    size: usize,
    flags: c_int,
) {
    // SAFETY: `__vfs_setxattr_locked()` holds the dentry, positive, with
    // its inode locked, and the kernel's copy of the name.
    unsafe { xattr(ctx, dentry, name) };
    ctx.size = size as u32;
    ctx.flags = flags as u32;
}

/// Fills the context of the `inode_removexattr` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn inode_removexattr(
    ctx: &mut InodeCtx,
    _want: Want,
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    name: *const c_char,
) {
    // SAFETY: `__vfs_removexattr_locked()` holds the dentry, its inode
    // locked, and the kernel's copy of the name.
    unsafe { xattr(ctx, dentry, name) };
}

/// Fills the context of the `inode_set_acl` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn inode_set_acl(
    ctx: &mut InodeCtx,
    _want: Want,
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    acl_name: *const c_char,
    kacl: *mut bindings::posix_acl,
) {
    // SAFETY: `vfs_set_acl()` holds the dentry, its inode locked; the
    // name is one of the kernel's constant ACL names.
    unsafe { xattr(ctx, dentry, acl_name) };
    if !kacl.is_null() {
        // SAFETY: a non-null `kacl` is the ACL the caller built and holds.
        ctx.size = unsafe { bindings::checmate_posix_acl_count(kacl) };
    }
}

/// Fills the context of the `inode_remove_acl` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn inode_remove_acl(
    ctx: &mut InodeCtx,
    _want: Want,
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    acl_name: *const c_char,
) {
    // SAFETY: as in `inode_set_acl` (`vfs_remove_acl()`).
    unsafe { xattr(ctx, dentry, acl_name) };
}

/// Fills the context of the `inode_follow_link` LSM hook: the link and
/// the directory it is in. In RCU-walk (`rcu`) the caller holds no
/// reference and no lock, only `rcu_read_lock()`: dentries and inodes are
/// freed after a grace period, so they stay readable, and the parent
/// pointer is read once.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn inode_follow_link(
    ctx: &mut InodeCtx,
    _want: Want,
    dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    rcu: bool,
) {
    // SAFETY: `pick_link()` passes the link's inode, alive (held, or under
    // RCU in RCU-walk); so is its superblock.
    unsafe {
        object(ctx, inode);
        ctx.dev = encode_dev((*(*inode).i_sb).s_dev);
    }
    ctx.flags = rcu as u32;
    // A rename may move the link meanwhile: the parent seen is one it had.
    let _guard = crate::rcu::read_lock();
    // The parent and its inode are read once each and checked (a negative
    // dentry has no inode).
    // SAFETY: `dentry` is alive (above); RCU keeps the parent and its
    // inode alive while the guard lives.
    unsafe {
        let parent = core::ptr::read_volatile(&(*dentry).d_parent);
        if parent.is_null() {
            return;
        }
        let dir = core::ptr::read_volatile(&(*parent).d_inode);
        if dir.is_null() {
            return;
        }
        let dir = &*dir;
        ctx.dir_ino = dir.i_ino as u64;
        ctx.dir_mode = dir.i_mode as u32;
        ctx.dir_uid = dir.i_uid.val;
        ctx.dir_gid = dir.i_gid.val;
    }
}
