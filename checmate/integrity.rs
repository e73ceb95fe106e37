// SPDX-License-Identifier: GPL-2.0
//! Kernel integrity contexts (`struct checmate_kernel_ctx`): what the
//! kernel is about to load into itself, and the kernel objects behind the
//! commonest exploit primitives (`inode_init_security_anon`: io_uring,
//! userfaultfd, `fs/anon_inodes.c`). `kernel_module_request`
//! (`kernel/module/kmod.c`), `kernel_read_file` (`fs/kernel_read_file.c`)
//! and `kernel_load_data` (`kernel/module/main.c`, `kernel/kexec.c`,
//! `drivers/base/firmware_loader/`).
//!
//! All three are called in process context (their callers go on to sleep:
//! `down_timeout()` and the user mode helper, `vmalloc()` and reads), by
//! the task that asks or by a kernel worker, possibly with locks held:
//! `request_module()` is called from many subsystems, under their mutexes.
//! So the fills only read the hook's arguments, the file, its inode and
//! mount, and the caller's credentials; they take no lock (the RCU read
//! section of the cgroup id aside), no reference and do not allocate.

use crate::ctx::encode_dev;
use crate::ctx::Want;
use crate::report::Describe;
use core::fmt::{self, Write};
use kernel::bindings;
use kernel::bindings::checmate_kernel_ctx as KernelCtx;
use kernel::ffi::{c_char, c_int, c_uint, c_ulong};

/// `MODULE_NAME_LEN` (`include/linux/module.h`, a `sizeof` bindgen skips):
/// the size of `__request_module()`'s name buffer.
const MODULE_NAME_LEN: usize = 64 - core::mem::size_of::<c_ulong>();

// SAFETY: a UAPI structure of `__u32`/`__u64` fields and a `char` array
// only (include/uapi/linux/checmate.h), generated `repr(C)` by bindgen.
unsafe impl crate::ctx::Context for KernelCtx {}

impl Describe for KernelCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(w, "id={} info={:#x}", self.id, self.info)?;
        if self.info & bindings::CHECMATE_KERNEL_F_FILE != 0 {
            write!(
                w,
                " ino={} dev={} mode={:o} ouid={}",
                self.ino, self.dev, self.mode, self.uid
            )?;
        }
        if self.name_len != 0 {
            // Module names are printable: the kernel formats them from
            // constants and numbers. Anything else is shown as '?', so
            // that the report stays one token.
            w.write_str(" kmod=")?;
            for &c in self.name.iter().take_while(|&&c| c != 0) {
                let shown = if c.is_ascii_graphic() { c as char } else { '?' };
                w.write_char(shown)?;
            }
        }
        Ok(())
    }
}

/// The calling task: pid, tgid, real and effective uid, cgroup v2 id.
fn caller(ctx: &mut KernelCtx) {
    // SAFETY: in process context `current_cred()` is valid while the task
    // runs: only the task itself replaces its credentials.
    let cred = unsafe { &*bindings::checmate_current_cred() };
    ctx.caller_uid = cred.uid.val;
    ctx.caller_euid = cred.euid.val;
    // SAFETY: `current` is a valid task in process context.
    unsafe {
        let me = bindings::get_current();
        ctx.pid = bindings::task_pid_nr(me) as u32;
        ctx.tgid = bindings::task_tgid_nr(me) as u32;
    }
    // SAFETY: reads current's cgroup under RCU; valid in process context,
    // kernel threads included (the root cgroup).
    ctx.cgroup_id = unsafe { bindings::checmate_current_cgroup_id() };
}

/// Fills the context of the `kernel_module_request` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn kernel_module_request(
    ctx: &mut KernelCtx,
    _want: Want,
    kmod_name: *mut c_char,
) {
    // `__request_module()` passes its stack buffer of `MODULE_NAME_LEN`
    // bytes, NUL-terminated by `vsnprintf()` (a longer name was refused).
    // Reading stops at the NUL or at that size, whichever comes first.
    let max = MODULE_NAME_LEN;
    let mut len = 0;
    // SAFETY: `kmod_name` is readable for `max` bytes (above); `len < max`.
    while len < max && unsafe { *kmod_name.add(len) } != 0 {
        len += 1;
    }
    let n = len.min(ctx.name.len() - 1);
    for (i, d) in ctx.name.iter_mut().take(n).enumerate() {
        // SAFETY: `i < n <= len`: the first `len` bytes were read above.
        *d = unsafe { *kmod_name.add(i) };
    }
    ctx.name[n] = 0;
    if n < len {
        ctx.info |= bindings::CHECMATE_KERNEL_F_NAME_CUT;
    }
    ctx.name_len = len as u32;
    // What is asked for is a module: the id both enums give modules.
    ctx.id = bindings::kernel_load_data_id_LOADING_MODULE;
    caller(ctx);
}

/// Fills the context of the `kernel_read_file` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn kernel_read_file(
    ctx: &mut KernelCtx,
    _want: Want,
    file: *mut bindings::file,
    id: bindings::kernel_read_file_id,
    contents: bool,
) {
    // SAFETY: `kernel_read_file()` passes the open file it reads, which
    // holds its inode, its mount and, through the mount, its superblock.
    let (inode, sb, mnt) = unsafe {
        let f = &*file;
        let inode = &*f.f_inode;
        (inode, &*inode.i_sb, &*f.f_path.mnt)
    };
    ctx.ino = inode.i_ino as u64;
    ctx.dev = encode_dev(sb.s_dev);
    ctx.mode = inode.i_mode as u32;
    // kuid/kgid values are the ids in the initial user namespace.
    ctx.uid = inode.i_uid.val;
    ctx.gid = inode.i_gid.val;
    ctx.s_magic = sb.s_magic as u32;
    ctx.mnt_flags = mnt.mnt_flags as u32;
    ctx.info |= bindings::CHECMATE_KERNEL_F_FILE;
    ctx.id = id;
    if contents {
        ctx.info |= bindings::CHECMATE_KERNEL_F_CONTENTS;
    }
    caller(ctx);
}

/// Fills the context of the `kernel_load_data` LSM hook.
///
/// # Safety
///
/// Called as the hook's fill function, with the values the LSM framework
/// passed it; nothing more is required (no pointer).
pub(crate) unsafe fn kernel_load_data(
    ctx: &mut KernelCtx,
    _want: Want,
    id: bindings::kernel_load_data_id,
    contents: bool,
) {
    ctx.id = id;
    if contents {
        ctx.info |= bindings::CHECMATE_KERNEL_F_CONTENTS;
    }
    caller(ctx);
}

/// Fills the context of the `inode_init_security_anon` LSM hook: the name
/// of a new "secure" anonymous inode (`anon_inode_make_secure_inode()`).
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn inode_init_security_anon(
    ctx: &mut KernelCtx,
    _want: Want,
    _inode: *mut bindings::inode,
    name: *const bindings::qstr,
    _context_inode: *const bindings::inode,
) {
    // `anon_inode_make_secure_inode()` passes a `qstr` of a constant
    // string its caller named ("[io_uring]"...).
    // SAFETY: a valid `qstr`: `len` bytes at `name`.
    let (bytes, len) = unsafe {
        let q = &*name;
        (q.name, q.__bindgen_anon_1.__bindgen_anon_1.len as usize)
    };
    let n = len.min(ctx.name.len() - 1);
    for (i, d) in ctx.name.iter_mut().take(n).enumerate() {
        // SAFETY: `i < n <= len`, within the name.
        *d = unsafe { *bytes.add(i) } as c_char;
    }
    ctx.name[n] = 0;
    if n < len {
        ctx.info |= bindings::CHECMATE_KERNEL_F_NAME_CUT;
    }
    ctx.name_len = len as u32;
    caller(ctx);
}

/// Fills the context of the `bpf` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn bpf(
    ctx: &mut KernelCtx,
    _want: Want,
    cmd: c_int,
    attr: *mut bindings::bpf_attr,
    _size: c_uint,
) {
    let mut types = [0u32; 3];
    // For BPF_LINK_UPDATE the helper takes and drops a link reference.
    // SAFETY: `__sys_bpf()` passes the kernel's copy of the attributes of
    // `cmd`; the helper reads only the members `cmd` uses.
    if unsafe { bindings::checmate_bpf_attr_types(cmd, attr, types.as_mut_ptr()) } {
        ctx.info |= bindings::CHECMATE_KERNEL_F_BPF_TOKEN;
    }
    ctx.bpf_cmd = cmd as u32;
    [ctx.bpf_prog_type, ctx.bpf_attach_type, ctx.bpf_map_type] = types;
    caller(ctx);
}
