// SPDX-License-Identifier: GPL-2.0
//! Denial events: every denial, enforced or not, as a `struct
//! checmate_event` in a ring that keeps the last `CHECMATE_EVENTS_RING`,
//! read through `/sys/kernel/security/checmate/events` (created by
//! `securityfs.rs`). Not rate-limited: a reader that falls behind loses the
//! oldest events and sees the gap in their `seq`.
//!
//! Writers are hooks, in any context a hook runs in (process, softirq, hard
//! interrupt: `task_kill` from a USB completion). They fill the event on
//! their stack, take the ring's raw spinlock with interrupts off only to
//! copy it in, and queue an irq_work that wakes the readers: a hook may run
//! under scheduler or wait-queue locks where waking a task directly could
//! deadlock, which is why printk and the BPF ring buffer defer their
//! wake-ups the same way. Readers take the lock to copy one event out and
//! write it to user memory after dropping it. A file's position is the
//! `seq` of the next event it reads.

use crate::admin;
use crate::hooks::Hook;
use crate::report::Outcome;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;
use kernel::bindings::checmate_event as Event;
use kernel::ffi::{c_char, c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::{AsBytes, Opaque};
use kernel::uaccess::UserSlice;

/// Events kept.
const RING: u64 = bindings::CHECMATE_EVENTS_RING as u64;
/// Bytes of one event, as read(2) returns it.
const SIZE: usize = core::mem::size_of::<Event>();

// The UAPI layout, as Landlock's build_check_abi(): 336 bytes, no padding.
const _: () = {
    use core::mem::offset_of;
    assert!(SIZE == 336);
    assert!(offset_of!(Event, seq) == 0);
    assert!(offset_of!(Event, time_ns) == 8);
    assert!(offset_of!(Event, cgroup_id) == 16);
    assert!(offset_of!(Event, hook) == 24);
    assert!(offset_of!(Event, prog_id) == 28);
    assert!(offset_of!(Event, verdict) == 32);
    assert!(offset_of!(Event, outcome) == 36);
    assert!(offset_of!(Event, pid) == 40);
    assert!(offset_of!(Event, tid) == 44);
    assert!(offset_of!(Event, uid) == 48);
    assert!(offset_of!(Event, flags) == 52);
    assert!(offset_of!(Event, comm) == 56);
    assert!(offset_of!(Event, ctx_size) == 72);
    assert!(offset_of!(Event, reserved) == 76);
    assert!(offset_of!(Event, ctx) == 80);
};

/// An event as user space reads it.
#[repr(transparent)]
#[derive(Clone, Copy)]
struct Record(Event);

// SAFETY: `checmate_event` is integers and byte arrays with no padding
// (the layout is checked above, field by field, to its 336 bytes), so
// every byte of a value is initialized.
unsafe impl AsBytes for Record {}

/// What the lock protects.
struct Ring {
    /// The `seq` the next event gets. Events `next - min(next, RING)` up to
    /// `next` are kept.
    next: u64,
    /// `RING` events, event `seq` at `seq % RING`; empty until [`init`].
    slots: VVec<Record>,
}

/// The ring, its lock, the readers' wait queue and the wake-up work.
struct Events {
    lock: Opaque<bindings::raw_spinlock>,
    wq: Opaque<bindings::wait_queue_head>,
    work: Opaque<bindings::irq_work>,
    ring: UnsafeCell<Ring>,
}

// SAFETY: `ring` is only reached through `Guard`, which holds `lock`; the
// other fields are kernel objects made for concurrent use.
unsafe impl Sync for Events {}

static EVENTS: Events = Events {
    lock: Opaque::uninit(),
    wq: Opaque::uninit(),
    work: Opaque::uninit(),
    ring: UnsafeCell::new(Ring {
        next: 0,
        slots: VVec::new(),
    }),
};

/// Set by [`init`] once the lock, the wait queue, the work and the slots
/// are ready; nothing touches them before.
static READY: AtomicBool = AtomicBool::new(false);

/// The ring, locked, with interrupts off on this CPU.
struct Guard {
    flags: c_ulong,
}

impl Guard {
    /// Takes the lock. Callers have seen [`READY`] set.
    fn lock() -> Guard {
        // A raw spinlock, interrupts off: any context a hook runs in.
        // SAFETY: `READY` was set (callers), so `init` made the lock.
        let flags = unsafe { bindings::checmate_raw_spin_lock_irqsave(EVENTS.lock.get()) };
        Guard { flags }
    }

    fn ring(&mut self) -> &mut Ring {
        // SAFETY: this guard holds the lock, the only way to `ring`, and
        // `&mut self` keeps this the only reference for as long as it lives.
        unsafe { &mut *EVENTS.ring.get() }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: taken in `Guard::lock` on this CPU, with these flags.
        unsafe { bindings::checmate_raw_spin_unlock_irqrestore(EVENTS.lock.get(), self.flags) };
    }
}

/// Wakes the readers, from the irq_work that [`push`] queues.
///
/// # Safety
///
/// Called by the irq_work code for `EVENTS.work`, queued only once `init`
/// has initialized the wait queue.
unsafe extern "C" fn wake(_work: *mut bindings::irq_work) {
    // SAFETY: the wait queue was initialized (see above); this is
    // wake_up_interruptible().
    unsafe {
        bindings::__wake_up(
            EVENTS.wq.get(),
            bindings::TASK_INTERRUPTIBLE,
            1,
            core::ptr::null_mut(),
        )
    };
}

/// Allocates the ring. Called once, from the securityfs initcall, before
/// any program can be attached.
pub(crate) fn init() -> Result {
    // SAFETY: an all-zero `checmate_event` is valid: integers and arrays.
    let empty = Record(unsafe { core::mem::zeroed() });
    let mut slots = VVec::with_capacity(RING as usize, GFP_KERNEL)?;
    for _ in 0..RING {
        slots.push(empty, GFP_KERNEL)?;
    }
    // Called once, before `READY` is set: nothing else uses them yet.
    // SAFETY: first use of all four (above); `wake` is an irq_work callback.
    unsafe {
        bindings::checmate_events_init(
            EVENTS.lock.get(),
            EVENTS.wq.get(),
            EVENTS.work.get(),
            Some(wake),
        );
        (*EVENTS.ring.get()).slots = slots;
    }
    READY.store(true, Ordering::Release);
    Ok(())
}

/// Records that program `prog_id` of `hook` returned `verdict` on a
/// context whose bytes are `ctx`, and what became of it. Callable in every
/// context a hook runs in; does nothing before [`init`].
pub(crate) fn push(
    hook: Hook,
    prog_id: u32,
    verdict: i32,
    outcome: Outcome,
    prog_log_only: bool,
    ctx: &[u8],
) {
    if !READY.load(Ordering::Acquire) {
        return;
    }
    // SAFETY: an all-zero `checmate_event` is valid: integers and arrays.
    let mut ev: Event = unsafe { core::mem::zeroed() };
    // SAFETY: an NMI-safe clock read, callable in any context.
    ev.time_ns = unsafe { bindings::ktime_get_mono_fast_ns() };
    ev.hook = hook.num();
    ev.prog_id = prog_id;
    ev.verdict = verdict;
    ev.outcome = match outcome {
        Outcome::Denied => bindings::checmate_event_outcome_CHECMATE_EVENT_DENIED,
        Outcome::LogOnly => bindings::checmate_event_outcome_CHECMATE_EVENT_LOG_ONLY,
        Outcome::Drop => bindings::checmate_event_outcome_CHECMATE_EVENT_DROP,
    };
    if prog_log_only {
        ev.flags |= bindings::CHECMATE_EVENT_F_PROG_LOG_ONLY;
    }
    let n = ctx.len().min(ev.ctx.len());
    ev.ctx[..n].copy_from_slice(&ctx[..n]);
    ev.ctx_size = n as u32;
    // SAFETY: `ev` is a valid, writable event; the helper only reads
    // current (never in interrupt context, which it flags instead).
    unsafe { bindings::checmate_event_task(&mut ev) };
    {
        let mut guard = Guard::lock();
        let ring = guard.ring();
        ev.seq = ring.next;
        let slot = (ring.next % RING) as usize;
        ring.slots[slot] = Record(ev);
        ring.next += 1;
    }
    // irq_work_queue() may be called from any context; a pending work stays.
    // SAFETY: the work was initialized by `init` (`READY` was set).
    unsafe { bindings::irq_work_queue(EVENTS.work.get()) };
}

/// The event a reader at `pos` reads next, and the position after it; the
/// oldest kept event if `pos` was overwritten.
fn peek(pos: u64) -> Option<(Record, u64)> {
    let mut guard = Guard::lock();
    let ring = guard.ring();
    let pos = pos.max(ring.next.saturating_sub(RING));
    (pos < ring.next).then(|| (ring.slots[(pos % RING) as usize], pos + 1))
}

/// Is there an event for a reader at `pos`?
fn ready(pos: u64) -> bool {
    let mut guard = Guard::lock();
    pos < guard.ring().next
}

/// The wait condition of a blocking read.
///
/// # Safety
///
/// `arg` points to the reader's position, a `u64` that outlives the wait.
unsafe extern "C" fn ready_at(arg: *mut c_void) -> bool {
    // SAFETY: `arg` is the `u64` of the waiting `read` (above).
    ready(unsafe { *arg.cast::<u64>() })
}

/// The file's position: the `seq` of the next event it reads.
///
/// # Safety
///
/// `file` is an open file of ours.
unsafe fn position(file: *mut bindings::file) -> u64 {
    // SAFETY: `file` is open (caller); positions are never negative
    // (`llseek` refuses them).
    unsafe { (*file).f_pos as u64 }
}

/// read(2): whole events from the file's position on; blocks for the
/// first one unless `O_NONBLOCK`.
///
/// # Safety
///
/// Called by the VFS with an open file of ours, the caller's buffer and
/// the position to read from and update.
unsafe extern "C" fn read(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    if count < SIZE {
        return -(bindings::EINVAL as isize);
    }
    // SAFETY: `ppos` is the position the VFS hands us (see above).
    let mut pos = unsafe { *ppos } as u64;
    let mut out = UserSlice::new(buf as usize, count).writer();
    let mut done = 0;
    while count - done >= SIZE {
        let Some((ev, next)) = peek(pos) else {
            if done > 0 {
                break;
            }
            // SAFETY: `file` is open (see above).
            if unsafe { (*file).f_flags } & bindings::O_NONBLOCK != 0 {
                return -(bindings::EAGAIN as isize);
            }
            // SAFETY: `init` made the wait queue (the file exists only
            // after it); `pos` outlives the wait; `ready_at` reads it.
            let err = unsafe {
                bindings::checmate_wait_event(
                    EVENTS.wq.get(),
                    Some(ready_at),
                    (&mut pos as *mut u64).cast(),
                )
            };
            if err != 0 {
                return err as isize;
            }
            continue;
        };
        if let Err(e) = out.write(&ev) {
            if done > 0 {
                break;
            }
            return e.to_errno() as isize;
        }
        pos = next;
        done += SIZE;
    }
    // SAFETY: as above.
    unsafe { *ppos = pos as bindings::loff_t };
    done as isize
}

/// `EPOLLIN | EPOLLRDNORM` (include/uapi/linux/eventpoll.h; bindgen skips
/// their `__force` casts).
const EPOLLIN_RDNORM: bindings::__poll_t = 0x0001 | 0x0040;

/// poll(2): readable while an event waits at the file's position.
///
/// # Safety
///
/// Called by the VFS with an open file of ours and its poll table.
unsafe extern "C" fn poll(
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: `file` and `pt` come from the VFS; the wait queue lives
    // forever and was made by `init`.
    unsafe { bindings::checmate_poll_wait(file, EVENTS.wq.get(), pt) };
    // SAFETY: `file` is open.
    if ready(unsafe { position(file) }) {
        EPOLLIN_RDNORM
    } else {
        0
    }
}

/// lseek(2): `SEEK_SET` to a `seq` (the oldest kept if it is gone),
/// `SEEK_CUR`, and `SEEK_END`, which is the next new event.
///
/// # Safety
///
/// Called by the VFS with an open file of ours.
unsafe extern "C" fn llseek(
    file: *mut bindings::file,
    offset: bindings::loff_t,
    whence: c_int,
) -> bindings::loff_t {
    let base = match whence as u32 {
        bindings::SEEK_SET => 0,
        // SAFETY: `file` is open.
        bindings::SEEK_CUR => unsafe { position(file) },
        bindings::SEEK_END => Guard::lock().ring().next,
        _ => return -(bindings::EINVAL as bindings::loff_t),
    };
    let Some(to) = (base as i64).checked_add(offset).filter(|&p| p >= 0) else {
        return -(bindings::EINVAL as bindings::loff_t);
    };
    // SAFETY: `file` is open; vfs_setpos() checks `to` against the
    // maximum and sets the position.
    unsafe { bindings::vfs_setpos(file, to, i64::MAX) }
}

/// Opens the file for a caller with `CAP_SYS_ADMIN` in the initial user
/// namespace, at the oldest event kept.
///
/// # Safety
///
/// Called by the VFS with the inode and the file being opened.
unsafe extern "C" fn open(_inode: *mut bindings::inode, _file: *mut bindings::file) -> c_int {
    // Checmate's own check, which no program on `capable` can refuse.
    if !admin::capable() {
        return -(bindings::EPERM as c_int);
    }
    0
}

/// `struct file_operations` made `Sync` so that it can be a static.
#[repr(transparent)]
pub(crate) struct Fops(pub(crate) bindings::file_operations);
// SAFETY: only function pointers, never written.
unsafe impl Sync for Fops {}

/// The events file's operations.
pub(crate) static FOPS: Fops = Fops(bindings::file_operations {
    open: Some(open),
    read: Some(read),
    poll: Some(poll),
    llseek: Some(llseek),
    // SAFETY: all-zero is "no operation" for every other field.
    ..unsafe { core::mem::zeroed() }
});
