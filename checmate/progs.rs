// SPDX-License-Identifier: GPL-2.0
//! Per-hook state and the hot path.
//!
//! Each hook has writer state behind its own mutex (mode, lock, attached
//! programs) and a published, immutable array of the programs to run, read
//! under RCU with no lock. Writers build the new array first (so a failed
//! allocation changes nothing), publish it, and drop the old one, with its
//! program references, after a grace period.

use crate::bpf::{self, Image, PinnedToCpu, Prog};
use crate::ctx::{self, Context, Want};
use crate::hooks::{self, Hook, HookType};
use crate::rcu::{self, RcuBox, RcuNode};
use crate::report::{self, Describe};
use crate::seal::{self, HeldMap};
use crate::stats::{Counters, Slot};
use crate::switch;
use core::ffi::c_int;
use core::mem::MaybeUninit;
use core::pin::Pin;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use kernel::bindings;
use kernel::init::pin_init_array_from_fn;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Most programs on one hook.
pub(crate) const MAX_PROGS: usize = bindings::CHECMATE_MAX_PROGS_PER_HOOK as usize;

/// A hook's mode (`enum checmate_mode`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Normal,
    AppendOnly,
    ReadOnly,
    Disabled,
    LogOnly,
}

impl Mode {
    /// The mode with UAPI number `n`.
    pub(crate) fn from_raw(n: u64) -> Option<Mode> {
        Some(match u32::try_from(n).ok()? {
            bindings::checmate_mode_CHECMATE_MODE_NORMAL => Mode::Normal,
            bindings::checmate_mode_CHECMATE_MODE_APPEND_ONLY => Mode::AppendOnly,
            bindings::checmate_mode_CHECMATE_MODE_READ_ONLY => Mode::ReadOnly,
            bindings::checmate_mode_CHECMATE_MODE_DISABLED => Mode::Disabled,
            bindings::checmate_mode_CHECMATE_MODE_LOG_ONLY => Mode::LogOnly,
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
            Mode::LogOnly => bindings::checmate_mode_CHECMATE_MODE_LOG_ONLY,
        }
    }

    /// How strongly the hook enforces: a locked hook may only keep or raise
    /// it. DISABLED < LOG_ONLY < NORMAL < APPEND_ONLY < READ_ONLY.
    fn rank(self) -> u8 {
        match self {
            Mode::Disabled => 0,
            Mode::LogOnly => 1,
            Mode::Normal => 2,
            Mode::AppendOnly => 3,
            Mode::ReadOnly => 4,
        }
    }

    /// May the hook go from `self` to `to`? NORMAL, DISABLED and LOG_ONLY go
    /// anywhere, APPEND_ONLY only to READ_ONLY, READ_ONLY nowhere. A locked
    /// hook moreover never lowers its [`Mode::rank`]: it may be tightened
    /// (DISABLED or LOG_ONLY to NORMAL, and on) but never stops enforcing,
    /// so a lock can never switch a policy off for good.
    fn may_become(self, to: Mode, locked: bool) -> bool {
        if self == to {
            return true;
        }
        let allowed = match self {
            Mode::Normal | Mode::Disabled | Mode::LogOnly => true,
            Mode::AppendOnly => to == Mode::ReadOnly,
            Mode::ReadOnly => false,
        };
        allowed && !(locked && to.rank() < self.rank())
    }

    fn may_attach(self) -> bool {
        self != Mode::ReadOnly
    }

    fn may_detach(self) -> bool {
        matches!(self, Mode::Normal | Mode::Disabled | Mode::LogOnly)
    }
}

/// An attached program, its counters (runs, denials), which follow it from
/// one published array to the next, and its attach flags.
#[derive(Clone)]
struct Entry {
    prog: Prog,
    /// `prog`'s entry point, taken at attach.
    image: Image,
    stats: Arc<Counters<2>>,
    /// Attached with `CHECMATE_ATTACH_F_LOG_ONLY`: a monitor, whose
    /// denials are reported and never enforced, and whose writes to the
    /// context are discarded.
    log_only: bool,
}

/// Indexes of a program's counters.
const RUNS: usize = 0;
const DENIALS: usize = 1;

/// The programs the hot path runs for one hook, and how.
struct ProgArray {
    entries: KVec<Entry>,
    /// The hook's count of crossings that ran programs, in the registry.
    runs: Slot<'static>,
    /// Denials take effect (not LOG_ONLY).
    enforce: bool,
    /// Denials are reported.
    report: bool,
    /// The context words the programs may read or write
    /// ([`ctx::words`]): 0 if none reads its context (allow-all or deny-all
    /// programs, rules on time, rates or helpers), and then the context is
    /// filled only for the report of a denial.
    words: u64,
}

/// Writer-side state of one hook.
struct HookState {
    /// The hook this state is of: the one [`HookState::install`] publishes.
    hook: Hook,
    mode: Mode,
    locked: bool,
    /// Locked with `CHECMATE_LOCK_F_FREEZE_MAPS`: the programs' maps are
    /// frozen and sealed, and so are those of programs attached later.
    maps_frozen: bool,
    audit: bool,
    progs: KVec<Entry>,
    /// Prog arrays the lock holds until reboot (see `seal.rs`).
    held: KVec<HeldMap>,
}

/// What a query reports.
pub(crate) struct HookInfo {
    pub(crate) mode: Mode,
    pub(crate) locked: bool,
    pub(crate) maps_frozen: bool,
    pub(crate) audit: bool,
    pub(crate) ids: KVec<u32>,
    /// Per program: (id, runs, denials, `CHECMATE_ATTACH_F_*` flags).
    pub(crate) progs: KVec<(u32, u64, u64, u32)>,
    /// Crossings with programs to run, and denials.
    pub(crate) runs: u64,
    pub(crate) denials: u64,
}

/// The published arrays, one per hook, read with no lock.
static PUBLISHED: [RcuBox<ProgArray>; hooks::COUNT] = [const { RcuBox::new() }; hooks::COUNT];

/// Per hook, the `words` of its published array, read before the fill
/// without RCU: a hint, which [`run_filled`] checks against the array it
/// runs.
static FILL_WORDS: [AtomicU64; hooks::COUNT] = [const { AtomicU64::new(0) }; hooks::COUNT];

/// Writer state of every hook, and the per-hook counters.
#[pin_data]
struct Registry {
    #[pin]
    hooks: [Mutex<HookState>; hooks::COUNT],
    /// Per hook: crossings that ran programs, and denials.
    stats: Counters<{ 2 * hooks::COUNT }>,
    /// Serializes the switching of `indirect.rs`'s slots ([`sync_indirect`]).
    #[pin]
    indirect: Mutex<()>,
}

/// Set once by [`init`], never freed.
static REGISTRY: AtomicPtr<Registry> = AtomicPtr::new(core::ptr::null_mut());

/// Allocates the writer state. Called once, from the LSM's init.
pub(crate) fn init() -> Result {
    let stats = Counters::new()?;
    let reg = KBox::pin_init(
        pin_init!(Registry {
            hooks <- pin_init_array_from_fn(|i| new_mutex!(HookState {
                hook: Hook::from_index(i),
                mode: Mode::Normal,
                locked: false,
                maps_frozen: false,
                audit: false,
                progs: KVec::new(),
                held: KVec::new(),
            })),
            stats,
            indirect <- new_mutex!(()),
        }),
        GFP_KERNEL,
    )?;
    // SAFETY: the registry is never moved out of its allocation nor freed:
    // its pointer is stored for the life of the kernel.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(reg) });
    REGISTRY.store(raw, Ordering::Release);
    Ok(())
}

/// The registry, once `init` has run.
fn registry() -> Option<&'static Registry> {
    let reg = REGISTRY.load(Ordering::Acquire);
    // SAFETY: null or set once by `init` and never freed.
    unsafe { reg.as_ref() }
}

/// The writer state of `hook`.
fn state(hook: Hook) -> Result<&'static Mutex<HookState>> {
    Ok(&registry().ok_or(ENODEV)?.hooks[hook.index()])
}

/// Publishes what the hot path must run for `st`, after every allocation
/// has succeeded; the old array is freed after a grace period.
fn publish(st: &mut HookState, progs: KVec<Entry>) -> Result {
    let new = prepare(st, &progs)?;
    st.install(progs, new);
    Ok(())
}

/// The array the hot path must run for `progs` in the mode of `st`, if any:
/// every allocation of a publication, done before anything changes.
fn prepare(st: &HookState, progs: &KVec<Entry>) -> Result<Option<KBox<RcuNode<ProgArray>>>> {
    if st.mode == Mode::Disabled || progs.is_empty() {
        return Ok(None);
    }
    let reg = registry().ok_or(ENODEV)?;
    Ok(Some(RcuNode::new(ProgArray {
        entries: copy(progs, 0)?,
        runs: reg.stats.slot(2 * st.hook.index() + RUNS).ok_or(EINVAL)?,
        enforce: st.mode != Mode::LogOnly,
        report: st.audit || st.mode == Mode::LogOnly,
        words: fill_words(st.hook, progs),
    })?))
}

/// The context words the hot path fills for `progs` on `hook`: those the
/// programs use, or all of them if the hook needs its whole context
/// ([`hooks::HookDesc::fill_always`]) or more denials than a crossing can
/// keep for later ([`Pending`]) may come in one crossing (monitors go on
/// after denying).
fn fill_words(hook: Hook, progs: &KVec<Entry>) -> u64 {
    let monitors = progs.iter().filter(|e| e.log_only).count();
    if hook.desc().fill_always || monitors >= PENDING {
        return ctx::ALL_WORDS;
    }
    progs.iter().fold(0, |w, e| w | e.prog.ctx_words())
}

impl HookState {
    /// Makes `progs` the programs of the hook and `new` (from [`prepare`])
    /// the array the hot path runs. Cannot fail.
    fn install(&mut self, progs: KVec<Entry>, new: Option<KBox<RcuNode<ProgArray>>>) {
        let hook = self.hook;
        let run = new.is_some();
        let words = if run { fill_words(hook, &progs) } else { 0 };
        self.progs = progs;
        let published = &PUBLISHED[hook.index()];
        let was_running = published.is_set();
        // A hook that stops running is switched off before its array goes;
        // one that starts is switched on once its array is there.
        if was_running && !run {
            switch::set(hook, false);
        }
        // Each `HookState` lives behind its own mutex (`Registry::hooks`),
        // is the only one whose `hook` is this hook (set once in `init`),
        // and this is the only caller of `replace` on `published`.
        // SAFETY: `replace` calls must be serialized: `&mut self` is held
        // only under this hook's mutex, which serializes them.
        let old = unsafe { published.replace(new) };
        FILL_WORDS[hook.index()].store(words, Ordering::Relaxed);
        if run && !was_running {
            switch::set(hook, true);
        }
        drop(old);
        if run != was_running && INDIRECT.contains(&hook) {
            sync_indirect();
        }
    }
}

/// The hooks whose programs `indirect.rs` also runs.
const INDIRECT: [Hook; 2] = [
    <hooks::marker::socket_bind as HookType>::HOOK,
    <hooks::marker::socket_connect as HookType>::HOOK,
];

/// Switches `indirect.rs`'s slots to follow whether `socket_bind` and
/// `socket_connect` have arrays. Called after each publication that starts
/// or stops one, under the registry's `indirect` mutex (taken after a
/// hook's mutex, never before): the last caller sees every publication
/// made before it, so the slots end as the arrays are.
fn sync_indirect() {
    let Some(reg) = registry() else {
        return;
    };
    let _guard = reg.indirect.lock();
    let [bind, connect] = INDIRECT.map(|h| PUBLISHED[h.index()].is_set());
    switch::set_indirect(bind, connect);
}

/// A copy of `progs`, with room for `extra` more.
fn copy(progs: &KVec<Entry>, extra: usize) -> Result<KVec<Entry>> {
    let mut v = KVec::with_capacity(progs.len() + extra, GFP_KERNEL)?;
    for e in progs.iter() {
        v.push(e.clone(), GFP_KERNEL)?;
    }
    Ok(v)
}

/// Publishes `st` again after a change of its mode or flags, or restores
/// `old` if that fails.
fn republish(st: &mut HookState, old: (Mode, bool)) -> Result {
    let res = copy(&st.progs, 0).and_then(|progs| publish(st, progs));
    if res.is_err() {
        (st.mode, st.audit) = old;
    }
    res
}

/// Runs `prog` last on `hook`, as a monitor if `log_only`. `EPERM` if the
/// mode forbids it, `EEXIST` if it is attached there already, `E2BIG` if
/// the hook is full. On a locked hook the program's prog arrays (and with
/// frozen maps, its maps) are protected first, as the lock protects those
/// of the programs already there; the errors of [`seal::protect`] refuse
/// the attach.
pub(crate) fn attach(hook: Hook, prog: Prog, log_only: bool) -> Result {
    let mut st = state(hook)?.lock();
    if !st.mode.may_attach() {
        return Err(EPERM);
    }
    if st.progs.iter().any(|e| e.prog.same(&prog)) {
        return Err(EEXIST);
    }
    if st.progs.len() >= MAX_PROGS {
        return Err(E2BIG);
    }
    let stats = Arc::new(Counters::new()?, GFP_KERNEL)?;
    let mut progs = copy(&st.progs, 1)?;
    progs.push(
        Entry {
            image: prog.image()?,
            prog,
            stats,
            log_only,
        },
        GFP_KERNEL,
    )?;
    // Allocate everything first: a refused attach must freeze nothing.
    let new = prepare(&st, &progs)?;
    if st.locked {
        let data = st.maps_frozen;
        let prog = &progs[progs.len() - 1].prog;
        seal::protect(&[prog], data, &mut st.held)?;
    }
    st.install(progs, new);
    Ok(())
}

/// Stops running `prog` on `hook`. `EPERM` if locked or the mode forbids it,
/// `ENOENT` if it is not attached there.
pub(crate) fn detach(hook: Hook, prog: &Prog) -> Result {
    let mut st = state(hook)?.lock();
    if st.locked || !st.mode.may_detach() {
        return Err(EPERM);
    }
    let pos = st
        .progs
        .iter()
        .position(|e| e.prog.same(prog))
        .ok_or(ENOENT)?;
    let mut progs = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    for (i, e) in st.progs.iter().enumerate() {
        if i != pos {
            progs.push(e.clone(), GFP_KERNEL)?;
        }
    }
    publish(&mut st, progs)
}

/// Runs `new` in place of `old` on `hook`, at `old`'s position and with its
/// flags, in one publication: no crossing of the hook runs neither or both.
/// The new program starts with counters at 0. Allowed where detaching is: `EPERM`
/// if locked or the mode forbids it; `ENOENT` if `old` is not attached
/// there, `EEXIST` if `new` is.
pub(crate) fn replace(hook: Hook, new: Prog, old: &Prog) -> Result {
    let mut st = state(hook)?.lock();
    if st.locked || !st.mode.may_detach() {
        return Err(EPERM);
    }
    if st.progs.iter().any(|e| e.prog.same(&new)) {
        return Err(EEXIST);
    }
    let pos = st
        .progs
        .iter()
        .position(|e| e.prog.same(old))
        .ok_or(ENOENT)?;
    let stats = Arc::new(Counters::new()?, GFP_KERNEL)?;
    let log_only = st.progs[pos].log_only;
    let mut entry = Some(Entry {
        image: new.image()?,
        prog: new,
        stats,
        log_only,
    });
    let mut progs = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    for (i, e) in st.progs.iter().enumerate() {
        let e = match (i == pos).then(|| entry.take()).flatten() {
            Some(n) => n,
            None => e.clone(),
        };
        progs.push(e, GFP_KERNEL)?;
    }
    publish(&mut st, progs)
}

/// Makes `prog` on `hook` a monitor (`log_only`) or an enforcing program,
/// in one publication; its counters stay. A monitor that starts enforcing
/// moves to the end of the hook's list, where attaching it would put it,
/// and only where attaching is allowed: otherwise it would decide before
/// programs attached (and locked) after it, and own the writable fields
/// they set (`ctx::keep_first_writes`). Becoming a monitor is allowed only
/// where detaching is. `EPERM` otherwise; `ENOENT` if `prog` is not
/// attached there.
pub(crate) fn set_prog_flags(hook: Hook, prog: &Prog, log_only: bool) -> Result {
    let mut st = state(hook)?.lock();
    let pos = st
        .progs
        .iter()
        .position(|e| e.prog.same(prog))
        .ok_or(ENOENT)?;
    if st.progs[pos].log_only == log_only {
        return Ok(());
    }
    let allowed = if log_only {
        !st.locked && st.mode.may_detach()
    } else {
        st.mode.may_attach()
    };
    if !allowed {
        return Err(EPERM);
    }
    let mut progs = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    for (i, e) in st.progs.iter().enumerate() {
        if log_only || i != pos {
            progs.push(e.clone(), GFP_KERNEL)?;
        }
    }
    if log_only {
        progs[pos].log_only = true;
    } else {
        let mut e = st.progs[pos].clone();
        e.log_only = false;
        progs.push(e, GFP_KERNEL)?;
    }
    publish(&mut st, progs)
}

/// Detaches every program of `hook`. `EPERM` if locked or the mode forbids.
pub(crate) fn reset(hook: Hook) -> Result {
    let mut st = state(hook)?.lock();
    if st.locked || !st.mode.may_detach() {
        return Err(EPERM);
    }
    publish(&mut st, KVec::new())
}

/// Locks `hook` until reboot: its programs can no longer be detached, its
/// mode only tightened, and the prog arrays its programs tail-call through
/// are frozen; with `freeze_maps`, their other maps too (see `seal.rs`).
/// Locking a locked hook succeeds, and may add `freeze_maps`. Errors of
/// [`seal::protect`]: the hook stays as it was.
pub(crate) fn deny_reset(hook: Hook, freeze_maps: bool) -> Result {
    let mut st = state(hook)?.lock();
    let data = freeze_maps || st.maps_frozen;
    let st = &mut *st;
    let mut progs = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    for e in st.progs.iter() {
        progs.push(&e.prog, GFP_KERNEL)?;
    }
    seal::protect(&progs, data, &mut st.held)?;
    st.locked = true;
    st.maps_frozen = data;
    Ok(())
}

/// Changes the mode of `hook`; `EPERM` if the change would loosen it.
pub(crate) fn set_mode(hook: Hook, mode: Mode) -> Result {
    let mut st = state(hook)?.lock();
    if !st.mode.may_become(mode, st.locked) {
        return Err(EPERM);
    }
    let old = (st.mode, st.audit);
    st.mode = mode;
    republish(&mut st, old)
}

/// Reports the denials of `hook`'s programs, or stops.
pub(crate) fn set_audit(hook: Hook, on: bool) -> Result {
    let mut st = state(hook)?.lock();
    let old = (st.mode, st.audit);
    st.audit = on;
    republish(&mut st, old)
}

/// Is `hook` locked? (A lock is never undone.)
pub(crate) fn is_locked(hook: Hook) -> bool {
    state(hook).is_ok_and(|st| st.lock().locked)
}

/// Mode, lock, program ids and counters of `hook`.
pub(crate) fn query(hook: Hook) -> Result<HookInfo> {
    let reg = registry().ok_or(ENODEV)?;
    let st = reg.hooks[hook.index()].lock();
    let mut ids = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    let mut progs = KVec::with_capacity(st.progs.len(), GFP_KERNEL)?;
    for e in st.progs.iter() {
        ids.push(e.prog.id(), GFP_KERNEL)?;
        let flags = if e.log_only {
            bindings::CHECMATE_ATTACH_F_LOG_ONLY
        } else {
            0
        };
        progs.push(
            (e.prog.id(), e.stats.sum(RUNS), e.stats.sum(DENIALS), flags),
            GFP_KERNEL,
        )?;
    }
    Ok(HookInfo {
        mode: st.mode,
        locked: st.locked,
        maps_frozen: st.maps_frozen,
        audit: st.audit,
        ids,
        progs,
        runs: reg.stats.sum(2 * hook.index() + RUNS),
        denials: reg.stats.sum(2 * hook.index() + DENIALS),
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

/// Has hook `H` programs to run? A hint read without RCU, so that a hook
/// with nothing attached returns before filling its context; [`run`] reads
/// the array again under RCU.
#[inline]
pub(crate) fn has_programs<H: HookType>() -> bool {
    PUBLISHED[H::HOOK.index()].is_set()
}

/// The hot path: fills the context of hook `H` in `slot` with `fill`, as
/// far as the hook's programs read it, and runs them on it in attach
/// order; the first denial wins. One RCU read section, one walk of a
/// contiguous array, per-CPU counters. Returns the hook's verdict and the
/// context, if it was filled: always if the verdict is a denial, and on
/// hooks whose programs may write their context (`H::FILL_ALWAYS`).
///
/// `fill` is asked for the context words the programs read
/// (`FILL_WORDS`, a hint read without RCU). Programs that read none run on
/// a shared all-zero context ([`ctx::zeroed`]): no context is filled, nor
/// zeroed, for them. A program that reads more, attached between the hint
/// and the walk, makes the walk stop before running anything: the context
/// is filled in full and the programs run once, on it. The denials of a
/// crossing that ran on a context not filled in full are reported after
/// the walk, on the context filled in full then.
#[inline]
pub(crate) fn fill_and_run<'a, H: HookType, F: Fn(&mut H::Ctx, Want)>(
    slot: &'a mut MaybeUninit<H::Ctx>,
    fill: F,
) -> (c_int, Option<&'a H::Ctx>)
where
    H::Ctx: Describe,
{
    if H::FILL_ALWAYS {
        let ctx = slot.write(H::Ctx::default());
        fill(ctx, Want::ALL);
        return (run::<H>(ctx), Some(ctx));
    }
    let mut words = FILL_WORDS[H::HOOK.index()].load(Ordering::Relaxed);
    if words == 0 {
        let mut pending = Pending::new();
        match run_unread::<H>(&mut pending) {
            Some(0) if pending.n == 0 => return (0, None),
            Some(ret) => return settle_unread::<H, F>(slot, ret, &pending, fill),
            // No program ran (nothing is pending): run them all on the
            // filled context.
            None => words = ctx::ALL_WORDS,
        }
    }
    let ctx = slot.write(H::Ctx::default());
    (fill_then_run::<H, F>(ctx, fill, words), Some(ctx))
}

/// [`fill_and_run`] after a walk on the zeroed context that denied or has
/// denials to report: fills the context in full, reports them on it and
/// settles the verdict ([`settle`]). Out of line: denials are rare.
#[cold]
#[inline(never)]
fn settle_unread<'a, H: HookType, F: Fn(&mut H::Ctx, Want)>(
    slot: &'a mut MaybeUninit<H::Ctx>,
    ret: c_int,
    pending: &Pending,
    fill: F,
) -> (c_int, Option<&'a H::Ctx>)
where
    H::Ctx: Describe,
{
    let ctx = slot.write(H::Ctx::default());
    if pending.n == 0 {
        // A denial reported already (`denied`): the caller still gets the
        // filled context for its `on_deny`.
        fill(ctx, Want::ALL);
        return (ret, Some(ctx));
    }
    (settle::<H, F>(ctx, ret, pending, fill), Some(ctx))
}

/// [`fill_and_run`] where a program reads the context: fills the `words`
/// and runs the programs. Out of line, so that the path of programs that
/// read nothing keeps its registers.
#[inline(never)]
fn fill_then_run<H: HookType, F: Fn(&mut H::Ctx, Want)>(
    ctx: &mut H::Ctx,
    fill: F,
    words: u64,
) -> c_int
where
    H::Ctx: Describe,
{
    fill(ctx, Want::new(words));
    if words == ctx::ALL_WORDS {
        return run::<H>(ctx);
    }
    let mut pending = Pending::new();
    match run_filled::<H>(ctx, words, &mut pending) {
        Some(ret) => settle::<H, F>(ctx, ret, &pending, fill),
        None => {
            *ctx = H::Ctx::default();
            fill(ctx, Want::ALL);
            run::<H>(ctx)
        }
    }
}

/// The walk of programs that neither read nor write their context, on the
/// shared all-zero one ([`ctx::zeroed`]); their denials go to `pending`.
/// `None`, before any program runs, if a program attached since the hint
/// reads the context, or while the BPF core's run-time statistics are on
/// (the caller then fills the context and takes the path that counts).
#[inline(always)]
fn run_unread<H: HookType>(pending: &mut Pending) -> Option<c_int>
where
    H::Ctx: Describe,
{
    let guard = rcu::read_lock();
    let Some(array) = PUBLISHED[H::HOOK.index()].get(&guard) else {
        return Some(0);
    };
    if array.words != 0 || bpf::stats_enabled() {
        return None;
    }
    array.runs.inc();
    let pin = PinnedToCpu::new(&guard);
    let ctx = ctx::zeroed::<H::Ctx>();
    for e in array.entries.iter() {
        let p = ptr::from_ref(ctx).cast_mut();
        // `e.prog` was verified for `H` (as in `walk`); no program of
        // `array` writes the context (`array.words`, their union, is 0).
        // SAFETY: so `p`, a readable `H::Ctx`, is all it may access;
        // `e.image` is its own; the CPU is held while `pin` lives.
        let raw = unsafe { e.prog.run::<H, false>(&e.image, p, &pin) };
        e.stats.inc(RUNS);
        if raw != 0 {
            if let Some(ret) = denied::<H>(array, e, verdict(raw), ctx, Some(&mut *pending)) {
                return Some(ret);
            }
        }
    }
    Some(0)
}

/// Runs the programs of hook `H` on `ctx`, filled in full by the caller.
#[inline]
pub(crate) fn run<H: HookType>(ctx: &mut H::Ctx) -> c_int
where
    H::Ctx: Describe,
{
    let mut pending = Pending::new();
    // With every word filled, the walk neither stops early nor defers.
    run_filled::<H>(ctx, ctx::ALL_WORDS, &mut pending).unwrap_or(0)
}

/// Most denials of one crossing whose report waits for the fill: one
/// enforcing program's and monitors' (`fill_words` fills the context of a
/// hook with more monitors).
const PENDING: usize = 8;

/// A denial to report once the context is filled.
#[derive(Clone, Copy)]
struct Deferred {
    id: u32,
    ret: c_int,
    /// The program is a monitor.
    log_only: bool,
    /// The array's `enforce` and `report`.
    enforce: bool,
    report: bool,
}

impl Deferred {
    /// What became of the denial, and whether it is audited, on `ctx`
    /// filled in full: `Context::enforceable` reads fields (`capable`'s
    /// `CHECMATE_CRED_F_DROP`).
    fn outcome<C: Context>(&self, ctx: &C) -> (report::Outcome, bool) {
        let outcome = if self.log_only || !self.enforce {
            report::Outcome::LogOnly
        } else if !ctx.enforceable() {
            report::Outcome::Drop
        } else {
            report::Outcome::Denied
        };
        (outcome, self.log_only || self.report || !ctx.enforceable())
    }
}

/// The denials of one crossing that ran on an unfilled context.
struct Pending {
    n: usize,
    items: [core::mem::MaybeUninit<Deferred>; PENDING],
}

impl Pending {
    #[inline(always)]
    fn new() -> Self {
        Pending {
            n: 0,
            items: [const { core::mem::MaybeUninit::uninit() }; PENDING],
        }
    }

    /// Keeps `d`; `false` if full.
    fn push(&mut self, d: Deferred) -> bool {
        let Some(slot) = self.items.get_mut(self.n) else {
            return false;
        };
        slot.write(d);
        self.n += 1;
        true
    }

    /// The denials kept, in order.
    fn iter(&self) -> impl Iterator<Item = &Deferred> {
        self.items[..self.n].iter().map(|d| {
            // SAFETY: `push` wrote the first `n` items.
            unsafe { d.assume_init_ref() }
        })
    }
}

/// The hook's return value `ret` of a walk on a context not filled in
/// full, once its `pending` denials are reported: 0 if the enforcing
/// denial turns out not enforceable on the filled context.
#[inline(always)]
fn settle<H: HookType, F: Fn(&mut H::Ctx, Want)>(
    ctx: &mut H::Ctx,
    ret: c_int,
    pending: &Pending,
    fill: F,
) -> c_int
where
    H::Ctx: Describe,
{
    if pending.n == 0 {
        return ret;
    }
    report_pending::<H, F>(ctx, pending, fill);
    if ret != 0 && !ctx.enforceable() {
        0
    } else {
        ret
    }
}

/// Fills `ctx` in full and reports `pending` on it, outside the RCU read
/// section: a fill may call functions that might sleep.
#[cold]
#[inline(never)]
fn report_pending<H: HookType, F: Fn(&mut H::Ctx, Want)>(
    ctx: &mut H::Ctx,
    pending: &Pending,
    fill: F,
) where
    H::Ctx: Describe,
{
    *ctx = H::Ctx::default();
    fill(ctx, Want::ALL);
    for d in pending.iter() {
        let (outcome, audit) = d.outcome(&*ctx);
        report::denial(H::HOOK, d.id, d.ret, outcome, d.log_only, audit, &*ctx);
    }
}

/// [`run`] on a context of which the words `filled` are filled.
/// `None`, before any program runs, if the programs use words that are not
/// filled; the denials on a context not filled in full go to `pending`.
#[inline(always)]
fn run_filled<H: HookType>(ctx: &mut H::Ctx, filled: u64, pending: &mut Pending) -> Option<c_int>
where
    H::Ctx: Describe,
{
    let hook = H::HOOK;
    let guard = rcu::read_lock();
    let Some(array) = PUBLISHED[hook.index()].get(&guard) else {
        return Some(0);
    };
    if array.words & !filled != 0 {
        return None;
    }
    array.runs.inc();
    let pin = PinnedToCpu::new(&guard);
    // Hooks with writable fields: the first program to change a field owns
    // it (`ctx::keep_first_writes`).
    let orig = (!hook.desc().writable.is_empty()).then_some(*ctx);
    let pending = (filled != ctx::ALL_WORDS).then_some(pending);
    // One walk for each value of a branch that does not change during it.
    Some(if bpf::stats_enabled() {
        walk_counted::<H>(array, ctx, orig.as_ref(), pending, &pin)
    } else {
        walk::<H, false>(array, ctx, orig.as_ref(), pending, &pin)
    })
}

/// The walk while the BPF core's run-time statistics are on (`bpftool prog
/// profile`-like use, seldom): out of line.
#[cold]
#[inline(never)]
fn walk_counted<H: HookType>(
    array: &ProgArray,
    ctx: &mut H::Ctx,
    orig: Option<&H::Ctx>,
    pending: Option<&mut Pending>,
    pin: &PinnedToCpu<'_>,
) -> c_int
where
    H::Ctx: Describe,
{
    walk::<H, true>(array, ctx, orig, pending, pin)
}

/// The walk of [`run_filled`]: the programs of `array` in order, with
/// run-time statistics if `STATS`; `orig` is the context as filled if the
/// hook has writable fields; `pending` keeps the denials if the context is
/// not filled.
#[inline(always)]
fn walk<H: HookType, const STATS: bool>(
    array: &ProgArray,
    ctx: &mut H::Ctx,
    orig: Option<&H::Ctx>,
    mut pending: Option<&mut Pending>,
    pin: &PinnedToCpu<'_>,
) -> c_int
where
    H::Ctx: Describe,
{
    for e in array.entries.iter() {
        let before = orig.map(|_| *ctx);
        // `attach` and `replace` take programs through
        // `Prog::from_fd(_, hook)`, which refuses another hook's program.
        // SAFETY: `e.prog` was verified for `H` (above), `e.image` is its
        // own, `ctx` is `H::Ctx`; the CPU is held while `pin` lives.
        let raw = unsafe { e.prog.run::<H, STATS>(&e.image, ctx, pin) };
        if let (Some(orig), Some(before)) = (orig, &before) {
            if e.log_only {
                // A monitor changes nothing the kernel acts on.
                *ctx = *before;
            } else {
                ctx::keep_first_writes(ctx, before, orig, H::HOOK.desc().writable);
            }
        }
        e.stats.inc(RUNS);
        if raw != 0 {
            // The context as the program was given it.
            let seen = before.as_ref().unwrap_or(&*ctx);
            if let Some(ret) = denied::<H>(array, e, verdict(raw), seen, pending.as_deref_mut()) {
                return ret;
            }
        }
    }
    0
}

/// Counts and reports the denial `ret` of `e` on `ctx`, as the program was
/// given it, or keeps it in `pending` to report once the context is
/// filled; says what the hook returns: `None` if the walk goes on (a
/// monitor), `Some` of the hook's return value otherwise.
#[cold]
#[inline(never)]
fn denied<H: HookType>(
    array: &ProgArray,
    e: &Entry,
    ret: c_int,
    ctx: &H::Ctx,
    pending: Option<&mut Pending>,
) -> Option<c_int>
where
    H::Ctx: Describe,
{
    let hook = H::HOOK;
    e.stats.inc(DENIALS);
    // The registry exists: `array` was made from it (`prepare`).
    if let Some(reg) = registry() {
        reg.stats.inc(2 * hook.index() + DENIALS);
    }
    let d = Deferred {
        id: e.prog.id(),
        ret,
        log_only: e.log_only,
        enforce: array.enforce,
        report: array.report,
    };
    // On a context not filled in full, the outcome waits for the fill
    // (`settle`): an enforcing denial stops the walk whatever it becomes,
    // and the hook's return value is corrected then. `fill_words` fills
    // the context of a hook on which one crossing could have more denials
    // than `pending` keeps.
    let deferred = pending.is_some_and(|p| p.push(d));
    let ret = if deferred {
        ret
    } else {
        // A monitor, log-only mode, or an operation a denial must not stop.
        let (outcome, audit) = d.outcome(ctx);
        report::denial(hook, d.id, ret, outcome, d.log_only, audit, ctx);
        if matches!(outcome, report::Outcome::Drop) {
            0
        } else {
            ret
        }
    };
    if e.log_only {
        // The programs after a monitor run as if it had allowed.
        return None;
    }
    Some(if array.enforce { ret } else { 0 })
}
