// SPDX-License-Identifier: GPL-2.0
//! Reporting denials (a hook's audit flag, or LOG_ONLY mode) to the kernel
//! log, rate-limited: hook, program id, errno, pid, comm and the context's
//! key values.

use crate::hooks::{Context, Hook};
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::bindings;
use kernel::prelude::*;

/// Most reports per second; the rest are counted and summarized.
const BURST: u32 = 10;

static WINDOW: AtomicU64 = AtomicU64::new(0);
static IN_WINDOW: AtomicU32 = AtomicU32::new(0);
static SUPPRESSED: AtomicU32 = AtomicU32::new(0);

/// A fixed buffer that text is written into, cut if too long.
struct Buf {
    b: [u8; 192],
    len: usize,
}

impl Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.b.len() - self.len);
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

/// Reports that program `id` of `hook` returned `errno` on `ctx`; it was
/// `enforced`, or only logged (LOG_ONLY).
pub(crate) fn denial<C: Context>(hook: Hook, id: u32, errno: i32, enforced: bool, ctx: &C) {
    if !allowed() {
        return;
    }
    let mut text = Buf {
        b: [0; 192],
        len: 0,
    };
    let _ = ctx.describe(&mut text);
    let text = core::str::from_utf8(&text.b[..text.len]).unwrap_or("?");
    let verb = if enforced {
        "denied"
    } else {
        "log-only: would deny"
    };
    if hook.desc().softirq {
        pr_notice!(
            "{} {}: prog {} errno {} {}\n",
            verb,
            hook.desc().name,
            id,
            errno,
            text
        );
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
        "{} {}: prog {} errno {} pid {} comm \"{}\" {}\n",
        verb,
        hook.desc().name,
        id,
        errno,
        pid,
        comm,
        text
    );
}
