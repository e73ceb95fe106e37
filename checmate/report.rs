// SPDX-License-Identifier: GPL-2.0
//! Reporting denials: every one as an event (`events.rs`), and those of a
//! hook with its audit flag set, in LOG_ONLY mode or of a LOG_ONLY program
//! to the audit log (or the kernel log without audit), rate-limited: hook,
//! program id, errno, pid, comm and the context's key values.

use crate::ctx::Context;
use crate::events;
use crate::hooks::Hook;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::bindings;
use kernel::bindings::{
    checmate_file_ctx as FileCtx, checmate_mount_ctx as MountCtx, checmate_sock_ctx as SockCtx,
    checmate_task_ctx as TaskCtx,
};
use kernel::prelude::*;

/// A context's key values, as `key=value` text for a denial report.
pub(crate) trait Describe {
    /// Writes the key values.
    fn describe(&self, w: &mut dyn Write) -> fmt::Result;
}

/// An IPv4 address in network byte order, as text.
struct Ip4(u32);

impl fmt::Display for Ip4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.to_ne_bytes();
        write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3])
    }
}

/// An IPv6 address (four `__u32` in network byte order), as eight groups of
/// hex digits: one token, no spaces, so that it stays one audit field.
struct Ip6([u32; 4]);

impl fmt::Display for Ip6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.0.iter().enumerate() {
            let b = word.to_ne_bytes();
            let sep = if i == 0 { "" } else { ":" };
            write!(
                f,
                "{}{:x}:{:x}",
                sep,
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]])
            )?;
        }
        Ok(())
    }
}

impl Describe for SockCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "family={} sock_type={} protocol={} ",
            self.family, self.type_, self.protocol
        )?;
        if self.family == bindings::AF_INET6 {
            write!(
                w,
                "local=[{}]:{} remote=[{}]:{}",
                Ip6(self.local_ip6),
                self.local_port,
                Ip6(self.remote_ip6),
                self.remote_port
            )
        } else {
            write!(
                w,
                "local={}:{} remote={}:{}",
                Ip4(self.local_ip4),
                self.local_port,
                Ip4(self.remote_ip4),
                self.remote_port
            )
        }
    }
}
impl Describe for FileCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "ino={} dir_ino={} dev={} mode={:o} ouid={} flags={:#x}",
            self.ino, self.dir_ino, self.dev, self.mode, self.uid, self.flags
        )
    }
}
impl Describe for TaskCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "opid={} ouid={} arg={} flags={:#x} ino={}",
            self.pid, self.uid, self.arg, self.flags, self.ino
        )
    }
}
impl Describe for MountCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        let end = self
            .fstype
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(self.fstype.len());
        // `c_char` is `u8` in the kernel's Rust.
        let fstype: &[u8] = &self.fstype[..end];
        write!(
            w,
            "fstype={} flags={:#x} ino={} mnt_flags={:#x} userns_level={} chrooted={}",
            core::str::from_utf8(fstype).unwrap_or("?"),
            self.flags,
            self.ino,
            self.mnt_flags,
            self.userns_level,
            self.chrooted
        )
    }
}

/// Most reports per second; the rest are counted and summarized.
const BURST: u32 = 10;

static WINDOW: AtomicU64 = AtomicU64::new(0);
static IN_WINDOW: AtomicU32 = AtomicU32::new(0);
static SUPPRESSED: AtomicU32 = AtomicU32::new(0);

/// A fixed, NUL-terminated buffer that text is written into, cut if too
/// long.
struct Buf {
    b: [u8; 192],
    len: usize,
}

impl Buf {
    const fn new() -> Self {
        Buf {
            b: [0; 192],
            len: 0,
        }
    }

    /// The text, for the kernel log (with audit, the buffer goes as it is).
    #[cfg(not(CONFIG_AUDIT))]
    fn as_str(&self) -> &str {
        // Cutting may split a character: keep the valid prefix.
        match core::str::from_utf8(&self.b[..self.len]) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&self.b[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // The last byte stays 0.
        let n = s.len().min(self.b.len() - 1 - self.len);
        self.b[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// May one more report go out this second?
fn allowed() -> bool {
    // SAFETY: an NMI-safe clock read, callable in any context.
    let second = unsafe { bindings::ktime_get_mono_fast_ns() } / 1_000_000_000;
    let prev = WINDOW.load(Ordering::Relaxed);
    if prev != second
        && WINDOW
            .compare_exchange(prev, second, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        IN_WINDOW.store(0, Ordering::Relaxed);
        let n = SUPPRESSED.swap(0, Ordering::Relaxed);
        if n > 0 {
            pr_notice!("{} denial reports suppressed\n", n);
        }
    }
    if IN_WINDOW.fetch_add(1, Ordering::Relaxed) < BURST {
        true
    } else {
        SUPPRESSED.fetch_add(1, Ordering::Relaxed);
        false
    }
}

/// What became of a program's denial.
#[derive(Clone, Copy)]
pub(crate) enum Outcome {
    /// Enforced: the operation fails.
    Denied,
    /// The hook is in LOG_ONLY mode: reported only.
    LogOnly,
    /// A credential change that gives up privilege, which no program may
    /// refuse (`CHECMATE_CRED_F_DROP`): reported only.
    Drop,
}

/// Reports that program `id` of `hook` returned `errno` on `ctx`, and what
/// became of it: always as a denial event (`events.rs`), and with `audit`
/// also as a rate-limited audit record. `prog_log_only`: the program was
/// attached with `CHECMATE_ATTACH_F_LOG_ONLY`.
pub(crate) fn denial<C: Describe + Context>(
    hook: Hook,
    id: u32,
    errno: i32,
    outcome: Outcome,
    prog_log_only: bool,
    audit: bool,
    ctx: &C,
) {
    events::push(hook, id, errno, outcome, prog_log_only, ctx.as_bytes());
    if !audit || !allowed() {
        return;
    }
    let mut head = Buf::new();
    let _ = write!(
        head,
        "checmate={} hook={} prog_id={} errno={}",
        match outcome {
            Outcome::Denied => "denied",
            Outcome::LogOnly => "log-only",
            Outcome::Drop => "not-enforced-drop",
        },
        hook.desc().name,
        id,
        errno.unsigned_abs()
    );
    let mut tail = Buf::new();
    let _ = ctx.describe(&mut tail);
    emit(hook, head, tail);
}

/// One `AUDIT_AVC` record through `common_lsm_audit()`, which adds the
/// current task's pid and comm between `head` and `tail`. On the softirq
/// hooks that task is whichever one the packet interrupted, as in other
/// LSMs' network records.
#[cfg(CONFIG_AUDIT)]
fn emit(_hook: Hook, head: Buf, tail: Buf) {
    use core::ffi::CStr;
    use kernel::ffi::c_void;

    /// What the callbacks get: `cad` first, so that the pointer
    /// `common_lsm_audit()` passes them is a pointer to the whole record.
    #[repr(C)]
    struct Record {
        cad: bindings::common_audit_data,
        head: Buf,
        tail: Buf,
    }

    /// Writes `buf` (NUL-terminated) into the audit buffer with `fmt`.
    ///
    /// # Safety
    ///
    /// `ab` is a live audit buffer.
    unsafe fn log(ab: *mut bindings::audit_buffer, fmt: &CStr, buf: &Buf) {
        // SAFETY: `ab` is live (caller); both formats take one NUL-terminated
        // string, and `buf.b` is one: its last byte is never written.
        unsafe { bindings::audit_log_format(ab, fmt.as_ptr().cast(), buf.b.as_ptr()) };
    }

    /// Audit callback: the head of the record.
    ///
    /// # Safety
    ///
    /// Called by `common_lsm_audit()` with its live buffer and our `cad`.
    unsafe extern "C" fn pre(ab: *mut bindings::audit_buffer, a: *mut c_void) {
        // SAFETY: `a` is `&record.cad`, first field of a `#[repr(C)] Record` that outlives
        // the `common_lsm_audit()` call below; `ab` is the record's live buffer.
        unsafe { log(ab, c"%s", &(*a.cast::<Record>()).head) };
    }

    /// Audit callback: the tail of the record.
    ///
    /// # Safety
    ///
    /// As for `pre`.
    unsafe extern "C" fn post(ab: *mut bindings::audit_buffer, a: *mut c_void) {
        // SAFETY: `a` is `&record.cad`, first field of a `#[repr(C)] Record`
        // that outlives the `common_lsm_audit()` call; `ab` is its live buffer.
        unsafe { log(ab, c" %s", &(*a.cast::<Record>()).tail) };
    }

    let mut record = Record {
        // SAFETY: all-zero is a valid `common_audit_data` (no data).
        cad: unsafe { core::mem::zeroed() },
        head,
        tail,
    };
    record.cad.type_ = bindings::LSM_AUDIT_DATA_NONE as _;
    // common_lsm_audit() allocates with GFP_ATOMIC: any hook may call it, softirq ones included.
    // SAFETY: `record` lives across the call; the callbacks only read it, as argued in `pre`.
    unsafe { bindings::common_lsm_audit(&mut record.cad, Some(pre), Some(post)) };
}

/// Without audit, the same text goes to the kernel log.
#[cfg(not(CONFIG_AUDIT))]
fn emit(hook: Hook, head: Buf, tail: Buf) {
    if hook.desc().context == crate::hooks::CallContext::Irq {
        pr_notice!("{} {}\n", head.as_str(), tail.as_str());
        return;
    }
    let mut comm = [0u8; 16];
    // SAFETY: `current` is valid in process context; `comm` holds the
    // TASK_COMM_LEN (16) bytes passed as its size.
    let pid = unsafe {
        let me = bindings::get_current();
        bindings::__get_task_comm(comm.as_mut_ptr().cast(), comm.len(), me);
        bindings::task_tgid_nr(me)
    };
    let end = comm.iter().position(|&c| c == 0).unwrap_or(comm.len());
    let comm = core::str::from_utf8(&comm[..end]).unwrap_or("?");
    pr_notice!(
        "{} pid={} comm=\"{}\" {}\n",
        head.as_str(),
        pid,
        comm,
        tail.as_str()
    );
}
