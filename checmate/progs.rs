// SPDX-License-Identifier: GPL-2.0
//! Per-hook state and the hot path.
//!
//! Each hook has writer state behind its own mutex (mode, lock, attached
//! programs) and a published, immutable array of the programs to run, read
//! under RCU with no lock. Writers build the new array first (so a failed
//! allocation changes nothing), publish it, and drop the old one, with its
//! program references, after a grace period.

use crate::bpf::{PinnedToCpu, Prog};
use crate::hooks::{self, Context, Hook};
use crate::rcu::{self, RcuBox, RcuNode};
use crate::switch;
use core::ffi::c_int;
use core::pin::Pin;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::init::pin_init_array_from_fn;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Most programs on one hook.
pub(crate) const MAX_PROGS: usize = bindings::CHECMATE_MAX_PROGS_PER_HOOK as usize;

/// A hook's mode (`enum checmate_mode`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Normal,
    AppendOnly,
    ReadOnly,
    Disabled,
}

impl Mode {
    /// The mode with UAPI number `n`.
    pub(crate) fn from_raw(n: u64) -> Option<Mode> {
        Some(match u32::try_from(n).ok()? {
            bindings::checmate_mode_CHECMATE_MODE_NORMAL => Mode::Normal,
            bindings::checmate_mode_CHECMATE_MODE_APPEND_ONLY => Mode::AppendOnly,
            bindings::checmate_mode_CHECMATE_MODE_READ_ONLY => Mode::ReadOnly,
            bindings::checmate_mode_CHECMATE_MODE_DISABLED => Mode::Disabled,
            _ => return None,
        })
    }

    /// The UAPI number.
    pub(crate) fn raw(self) -> u32 {
        match self {
            Mode::Normal => bindings::checmate_mode_CHECMATE_MODE_NORMAL,
            Mode::AppendOnly => bindings::checmate_mode_CHECMATE_MODE_APPEND_ONLY,
            Mode::ReadOnly => bindings::checmate_mode_CHECMATE_MODE_READ_ONLY,
            Mode::Disabled => bindings::checmate_mode_CHECMATE_MODE_DISABLED,
        }
    }

    /// May the hook go from `self` to `to`, `locked` or not? Modes only
    /// tighten: NORMAL and DISABLED go anywhere, APPEND_ONLY only to
    /// READ_ONLY, READ_ONLY nowhere; a locked hook never stops enforcing.
    fn may_become(self, to: Mode, locked: bool) -> bool {
        if self == to {
            return true;
        }
        let allowed = match self {
            Mode::Normal | Mode::Disabled => true,
            Mode::AppendOnly => to == Mode::ReadOnly,
            Mode::ReadOnly => false,
        };
        allowed && !(locked && matches!(to, Mode::Normal | Mode::Disabled))
    }

    fn may_attach(self) -> bool {
        matches!(self, Mode::Normal | Mode::AppendOnly | Mode::Disabled)
    }

    fn may_detach(self) -> bool {
        matches!(self, Mode::Normal | Mode::Disabled)
    }
}

/// The programs the hot path runs for one hook.
struct ProgArray {
    progs: KVec<Prog>,
}

/// Writer-side state of one hook.
struct HookState {
    mode: Mode,
    locked: bool,
    progs: KVec<Prog>,
}

/// What a query reports.
pub(crate) struct HookInfo {
    pub(crate) mode: Mode,
    pub(crate) locked: bool,
    pub(crate) ids: KVec<u32>,
}

/// The published arrays, one per hook, read with no lock.
static PUBLISHED: [RcuBox<ProgArray>; hooks::COUNT] = [const { RcuBox::new() }; hooks::COUNT];

/// Writer state of every hook.
#[pin_data]
struct Registry {
    #[pin]
    hooks: [Mutex<HookState>; hooks::COUNT],
}

/// Set once by [`init`], never freed.
static REGISTRY: AtomicPtr<Registry> = AtomicPtr::new(core::ptr::null_mut());

/// Allocates the writer state. Called once, from the LSM's init.
pub(crate) fn init() -> Result {
    let reg = KBox::pin_init(
        pin_init!(Registry {
            hooks <- pin_init_array_from_fn(|_| new_mutex!(HookState {
                mode: Mode::Normal,
                locked: false,
                progs: KVec::new(),
            })),
        }),
        GFP_KERNEL,
    )?;
    // SAFETY: the registry is never moved out of its allocation nor freed:
    // its pointer is stored for the life of the kernel.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(reg) });
    REGISTRY.store(raw, Ordering::Release);
    Ok(())
}

/// The writer state of `hook`.
fn state(hook: Hook) -> Result<&'static Mutex<HookState>> {
    let reg = REGISTRY.load(Ordering::Acquire);
    // SAFETY: null or set once by `init` and never freed.
    let reg = unsafe { reg.as_ref() }.ok_or(ENODEV)?;
    Ok(&reg.hooks[hook.index()])
}

/// Publishes what the hot path must run for `st`, after every allocation
/// has succeeded; the old array is freed after a grace period.
fn publish(hook: Hook, st: &mut HookState, progs: KVec<Prog>) -> Result {
    let run = st.mode != Mode::Disabled && !progs.is_empty();
    let new = if run {
        let mut copy = KVec::with_capacity(progs.len(), GFP_KERNEL)?;
        for p in progs.iter() {
            copy.push(p.clone(), GFP_KERNEL)?;
        }
        Some(RcuNode::new(ProgArray { progs: copy })?)
    } else {
        None
    };
    st.progs = progs;
    let was_running = PUBLISHED[hook.index()].is_set();
    // A hook that stops running is switched off before its array goes; one
    // that starts is switched on once its array is there.
    if was_running && !run {
        switch::set(hook, false);
    }
    // SAFETY: writers of `hook` hold its mutex (`st` is borrowed from it).
    let old = unsafe { PUBLISHED[hook.index()].replace(new) };
    if run && !was_running {
        switch::set(hook, true);
    }
    drop(old);
    Ok(())
}

/// A copy of `progs`, with room for one more.
fn copy(progs: &KVec<Prog>) -> Result<KVec<Prog>> {
    let mut v = KVec::with_capacity(progs.len() + 1, GFP_KERNEL)?;
    for p in progs.iter() {
        v.push(p.clone(), GFP_KERNEL)?;
    }
    Ok(v)
}

/// Runs `prog` last on `hook`. `EPERM` if the mode forbids it, `EEXIST` if it
/// is attached there already, `E2BIG` if the hook is full.
pub(crate) fn attach(hook: Hook, prog: Prog) -> Result {
    let mut st = state(hook)?.lock();
    if !st.mode.may_attach() {
        return Err(EPERM);
    }
    if st.progs.iter().any(|p| p.same(&prog)) {
        return Err(EEXIST);
    }
    if st.progs.len() >= MAX_PROGS {
        return Err(E2BIG);
    }
    let mut progs = copy(&st.progs)?;
    progs.push(prog, GFP_KERNEL)?;
    publish(hook, &mut st, progs)
}

/// Stops running `prog` on `hook`. `EPERM` if locked or the mode forbids it,
/// `ENOENT` if it is not attached there.
pub(crate) fn detach(hook: Hook, prog: &Prog) -> Result {
    let mut st = state(hook)?.lock();
    if st.locked || !st.mode.may_detach() {
        return Err(EPERM);
    }
    let pos = st.progs.iter().position(|p| p.same(prog)).ok_or(ENOENT)?;
    let mut progs = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    for (i, p) in st.progs.iter().enumerate() {
        if i != pos {
            progs.push(p.clone(), GFP_KERNEL)?;
        }
    }
    publish(hook, &mut st, progs)
}

/// Detaches every program of `hook`. `EPERM` if locked or the mode forbids.
pub(crate) fn reset(hook: Hook) -> Result {
    let mut st = state(hook)?.lock();
    if st.locked || !st.mode.may_detach() {
        return Err(EPERM);
    }
    publish(hook, &mut st, KVec::new())
}

/// Locks `hook` until reboot.
pub(crate) fn deny_reset(hook: Hook) -> Result {
    let mut st = state(hook)?.lock();
    st.locked = true;
    Ok(())
}

/// Changes the mode of `hook`; `EPERM` if the change would loosen it.
pub(crate) fn set_mode(hook: Hook, mode: Mode) -> Result {
    let mut st = state(hook)?.lock();
    if !st.mode.may_become(mode, st.locked) {
        return Err(EPERM);
    }
    let old = st.mode;
    st.mode = mode;
    if (old == Mode::Disabled) != (mode == Mode::Disabled) {
        let progs = match copy(&st.progs) {
            Ok(p) => p,
            Err(e) => {
                st.mode = old;
                return Err(e);
            }
        };
        if let Err(e) = publish(hook, &mut st, progs) {
            st.mode = old;
            return Err(e);
        }
    }
    Ok(())
}

/// Mode, lock and program ids of `hook`.
pub(crate) fn query(hook: Hook) -> Result<HookInfo> {
    let st = state(hook)?.lock();
    let mut ids = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    for p in st.progs.iter() {
        ids.push(p.id(), GFP_KERNEL)?;
    }
    Ok(HookInfo {
        mode: st.mode,
        locked: st.locked,
        ids,
    })
}

/// Turns a program's return value into the hook's: 0 allows, an errno in
/// `-MAX_ERRNO..0` denies with it, anything else denies with `-EPERM`.
fn verdict(ret: u32) -> c_int {
    let ret = ret as i32;
    match ret {
        0 => 0,
        -4095..=-1 => ret,
        _ => -(bindings::EPERM as c_int),
    }
}

/// Has `hook` programs to run? A hint read without RCU, so that a hook with
/// nothing attached returns before filling its context; [`run`] reads the
/// array again under RCU.
#[inline]
pub(crate) fn has_programs(hook: Hook) -> bool {
    PUBLISHED[hook.index()].is_set()
}

/// The hot path: runs the programs of `hook` on `ctx` in attach order; the
/// first denial wins. One RCU read section, one walk of a contiguous array.
#[inline]
pub(crate) fn run<C: Context>(hook: Hook, ctx: &mut C) -> c_int {
    let guard = rcu::read_lock();
    let Some(array) = PUBLISHED[hook.index()].get(&guard) else {
        return 0;
    };
    let pin = PinnedToCpu::new();
    for prog in array.progs.iter() {
        let ret = verdict(prog.run(ctx, &pin));
        if ret != 0 {
            return ret;
        }
    }
    0
}
