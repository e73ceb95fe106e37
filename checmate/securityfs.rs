// SPDX-License-Identifier: GPL-2.0
//! `/sys/kernel/security/checmate/hooks`: one line per hook with its mode,
//! lock and audit state, whether its LSM static call is switched on
//! (`active`: a hook with no program is off and costs nothing, except the
//! always-on `task_prctl` and `bpf`), its counters, and each attached
//! program as `id:runs:denials`, with `:log-only` for a monitor. Read-only,
//! and readable only with CAP_SYS_ADMIN in the initial user namespace, like
//! the prctl API:
//!
//! ```text
//! socket_connect mode=normal locked=0 audit=0 active=1 runs=12 denials=3 \
//!   progs=5:12:3 7:9:0:log-only
//! ```
//!
//! `/sys/kernel/security/checmate/events`: the denial events (`events.rs`).

use crate::admin;
use crate::events;
use crate::hooks::{self, Hook};
use crate::progs;
use crate::switch;
use core::ffi::c_void;
use core::fmt::Write;
use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// Text built in a growable buffer.
struct Text(KVec<u8>);

impl Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

fn mode_name(m: progs::Mode) -> &'static str {
    match m {
        progs::Mode::Normal => "normal",
        progs::Mode::AppendOnly => "append-only",
        progs::Mode::ReadOnly => "read-only",
        progs::Mode::Disabled => "disabled",
        progs::Mode::LogOnly => "log-only",
    }
}

/// The whole file.
fn render() -> Result<Text> {
    let mut t = Text(KVec::new());
    for i in 1..=hooks::COUNT as u64 {
        let Some(hook) = Hook::from_num(i) else {
            continue;
        };
        let info = progs::query(hook)?;
        write!(
            t,
            "{} mode={} locked={} audit={} active={} runs={} denials={} progs=",
            hook.desc().name,
            mode_name(info.mode),
            info.locked as u8,
            info.audit as u8,
            switch::active(hook) as u8,
            info.runs,
            info.denials
        )
        .map_err(|_| ENOMEM)?;
        for (n, (id, runs, denials, flags)) in info.progs.iter().enumerate() {
            let sep = if n == 0 { "" } else { " " };
            let monitor = if flags & bindings::CHECMATE_ATTACH_F_LOG_ONLY != 0 {
                ":log-only"
            } else {
                ""
            };
            write!(t, "{sep}{id}:{runs}:{denials}{monitor}").map_err(|_| ENOMEM)?;
        }
        t.write_str("\n").map_err(|_| ENOMEM)?;
    }
    Ok(t)
}

/// The seq_file's show: the whole table in one record.
///
/// # Safety
///
/// Called by the seq_file code with the file's live `seq_file`.
unsafe extern "C" fn show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    match render() {
        Ok(t) => {
            // SAFETY: `m` is the seq_file being shown; `t` is readable.
            unsafe { bindings::seq_write(m, t.0.as_ptr().cast(), t.0.len()) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Opens the file for a caller with `CAP_SYS_ADMIN` in the initial user
/// namespace.
///
/// # Safety
///
/// Called by the VFS with the inode and the file being opened.
unsafe extern "C" fn open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // The file is 0400 root's; a namespaced root is refused as by prctl.
    // Checmate's own check, which no program on `capable` can refuse.
    if !admin::capable() {
        return -(bindings::EPERM as c_int);
    }
    // SAFETY: `file` is being opened; `show` matches the seq_file API.
    unsafe { bindings::single_open(file, Some(show), core::ptr::null_mut()) }
}

/// `struct file_operations` made `Sync` so that it can be a static.
#[repr(transparent)]
struct Fops(bindings::file_operations);
// SAFETY: only function pointers, never written.
unsafe impl Sync for Fops {}

static FOPS: Fops = Fops(bindings::file_operations {
    open: Some(open),
    read: Some(bindings::seq_read),
    llseek: Some(bindings::seq_lseek),
    release: Some(bindings::single_release),
    // SAFETY: all-zero is "no operation" for every other field.
    ..unsafe { core::mem::zeroed() }
});

/// Creates the directory and its file. An initcall: securityfs is not up
/// yet when the LSM itself initializes.
#[no_mangle]
#[link_section = ".init.text"]
extern "C" fn checmate_securityfs_init() -> c_int {
    // SAFETY: called once at boot; names are NUL-terminated statics.
    let dir = unsafe {
        bindings::securityfs_create_dir(c"checmate".as_ptr().cast(), core::ptr::null_mut())
    };
    // SAFETY: `IS_ERR` only compares the pointer value.
    if unsafe { bindings::IS_ERR(dir.cast()) } {
        pr_err!("cannot create securityfs directory\n");
        return 0;
    }
    // SAFETY: `dir` is valid; `FOPS` lives forever.
    let file = unsafe {
        bindings::securityfs_create_file(
            c"hooks".as_ptr().cast(),
            0o400,
            dir,
            core::ptr::null_mut(),
            &FOPS.0,
        )
    };
    if kernel::error::from_err_ptr(file).is_err() {
        pr_err!("cannot create securityfs file\n");
    }
    if events::init().is_err() {
        pr_err!("cannot allocate the denial events ring\n");
        return 0;
    }
    // SAFETY: as above; `events::FOPS` lives forever.
    let file = unsafe {
        bindings::securityfs_create_file(
            c"events".as_ptr().cast(),
            0o400,
            dir,
            core::ptr::null_mut(),
            &events::FOPS.0,
        )
    };
    if kernel::error::from_err_ptr(file).is_err() {
        pr_err!("cannot create securityfs file\n");
    }
    0
}

// The initcall entry, as C's fs_initcall() makes it (and as the `module!`
// macro does for built-in Rust modules): a 32-bit offset where the
// architecture has CONFIG_HAVE_ARCH_PREL32_RELOCATIONS, a pointer elsewhere.
#[cfg(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS)]
core::arch::global_asm!(
    r#".section ".initcall5.init", "a"
    __initcall__checmate_securityfs_init:
        .long checmate_securityfs_init - .
    .previous"#
);

#[cfg(not(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS))]
#[link_section = ".initcall5.init"]
#[used]
static __INITCALL__CHECMATE_SECURITYFS_INIT: extern "C" fn() -> c_int = checmate_securityfs_init;
