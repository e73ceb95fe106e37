// SPDX-License-Identifier: GPL-2.0
//! What a hook lock protects besides the hook's own state: the maps that
//! decide what its programs do.
//!
//! A locked hook's programs stay attached until reboot, but a program's
//! verdict also depends on
//!
//! - the programs it tail-calls: the prog arrays it uses, and the prog
//!   arrays of the programs in them, recursively. A lock always freezes
//!   them (`BPF_MAP_FREEZE` semantics: no update or delete from user space)
//!   and holds a user reference on each until reboot, because a prog array
//!   whose last user reference goes (its fds closed, its pin removed) is
//!   emptied by the BPF core;
//! - its data maps (allowlists, configuration, cgroup arrays): frozen and
//!   sealed only when the lock asks for it (`CHECMATE_LOCK_F_FREEZE_MAPS`).
//!   A sealed map gets no new user: no program loaded afterwards may use
//!   it, it cannot become an inner map, no map iterator may attach to it.
//!   The programs that already use it may still update it (rate counters).
//!
//! Trampolines (freplace, fentry, fexit, fmod_ret) cannot target a Checmate
//! program at all: the BPF core refuses them in `bpf_check_attach_target()`.

use crate::errno;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;
use kernel::types::{ARef, AlwaysRefCounted, Opaque};

/// Most programs one lock walks (attached programs and what they can
/// tail-call); a larger graph fails the lock with `E2BIG`.
const MAX_WALK: usize = 1024;

/// A BPF program (`struct bpf_prog`) of any type, reference counted by
/// the BPF core: held as [`ARef<BpfProg>`].
///
/// # Invariants
///
/// Instances are valid programs, always reference counted: a `&BpfProg`
/// exists only while a reference is held on the program
/// (`bpf_prog_inc()`), which keeps it alive until the matching
/// `bpf_prog_put()`.
#[repr(transparent)]
pub(crate) struct BpfProg(Opaque<bindings::bpf_prog>);

// SAFETY: a program reference may be taken and dropped on any thread: the
// refcount is atomic and `bpf_prog_put()` frees in process context
// wherever it is called. A loaded program is immutable.
unsafe impl Send for BpfProg {}
// SAFETY: `&BpfProg` only takes references and reads the program, its
// mutable parts (`used_maps`) under their mutex.
unsafe impl Sync for BpfProg {}

// SAFETY: `bpf_prog_inc()` and `bpf_prog_put()` count the references that
// keep a program alive (type invariant).
unsafe impl AlwaysRefCounted for BpfProg {
    fn inc_ref(&self) {
        // SAFETY: a `&BpfProg` implies a reference held (type invariant),
        // so the refcount is not zero.
        unsafe { bindings::bpf_prog_inc(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference, which this drops.
        unsafe { bindings::bpf_prog_put(obj.cast().as_ptr()) };
    }
}

impl BpfProg {
    /// The `struct bpf_prog` itself.
    pub(crate) fn as_ptr(&self) -> *mut bindings::bpf_prog {
        self.0.get()
    }

    /// The maps the program uses, each with a reference of its own.
    fn used_maps(&self) -> Result<KVec<ARef<BpfMap>>> {
        let prog = self.as_ptr();
        // SAFETY: the program is live (type invariant); its `aux` lives as
        // long as it does.
        let aux = unsafe { (*prog).aux };
        // SAFETY: `aux` is valid; `used_maps_mutex` protects `used_maps` and
        // `used_map_cnt` against `BPF_PROG_BIND_MAP`.
        unsafe { bindings::mutex_lock(&raw mut (*aux).used_maps_mutex) };
        let mut out = Ok(KVec::new());
        // SAFETY: under `used_maps_mutex`, `used_maps` holds `used_map_cnt`
        // valid map pointers, each referenced by the program.
        let (maps, cnt) = unsafe { ((*aux).used_maps, (*aux).used_map_cnt as usize) };
        for i in 0..cnt {
            // SAFETY: `i < used_map_cnt` (see above).
            let map = unsafe { *maps.add(i) };
            if map.is_null() {
                continue;
            }
            // SAFETY: the program holds a reference on `map` while we hold
            // the program and its `used_maps_mutex`.
            let map: ARef<BpfMap> = unsafe { BpfMap::from_raw(map) }.into();
            if let Ok(v) = out.as_mut() {
                if let Err(e) = v.push(map, GFP_KERNEL) {
                    out = Err(e.into());
                }
            }
        }
        // SAFETY: locked above, by this thread.
        unsafe { bindings::mutex_unlock(&raw mut (*aux).used_maps_mutex) };
        out
    }
}

/// A BPF map (`struct bpf_map`), reference counted by the BPF core: held
/// as [`ARef<BpfMap>`].
///
/// # Invariants
///
/// Instances are valid maps, always reference counted: a `&BpfMap` exists
/// only while a reference is held on the map (`bpf_map_inc()`), which
/// keeps it alive until the matching `bpf_map_put()`.
#[repr(transparent)]
pub(crate) struct BpfMap(Opaque<bindings::bpf_map>);

// SAFETY: a map reference may be taken and dropped on any thread: the
// refcount is atomic and `bpf_map_put()` frees from a workqueue.
unsafe impl Send for BpfMap {}
// SAFETY: `&BpfMap` only takes references, reads fields set at creation
// or written once (read as `READ_ONCE()` would) and calls BPF core
// functions that synchronize themselves (`bpf_map_freeze_kern()`).
unsafe impl Sync for BpfMap {}

// SAFETY: `bpf_map_inc()` and `bpf_map_put()` count the references that
// keep a map alive (type invariant).
unsafe impl AlwaysRefCounted for BpfMap {
    fn inc_ref(&self) {
        // SAFETY: a `&BpfMap` implies a reference held (type invariant),
        // so the refcount is not zero.
        unsafe { bindings::bpf_map_inc(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference, which this drops.
        unsafe { bindings::bpf_map_put(obj.cast().as_ptr()) };
    }
}

impl BpfMap {
    /// The map at `ptr`, borrowed for `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid map on which a reference is held (directly or
    /// through an object held) for all of `'a`.
    unsafe fn from_raw<'a>(ptr: *const bindings::bpf_map) -> &'a Self {
        // `BpfMap` is `repr(transparent)` over `Opaque<bpf_map>`, itself
        // over `bpf_map`: the cast keeps the layout.
        // SAFETY: the caller guarantees a valid, referenced map for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// The `struct bpf_map` itself.
    fn as_ptr(&self) -> *mut bindings::bpf_map {
        self.0.get()
    }

    fn map_type(&self) -> bindings::bpf_map_type {
        // SAFETY: the map is live (type invariant); its type is set at
        // creation.
        unsafe { (*self.as_ptr()).map_type }
    }

    fn is_prog_array(&self) -> bool {
        self.map_type() == bindings::bpf_map_type_BPF_MAP_TYPE_PROG_ARRAY
    }

    /// Would [`BpfMap::freeze`] succeed now? `EOPNOTSUPP` for struct_ops
    /// maps and maps with special fields (spin locks, timers, kptrs),
    /// `EBUSY` for a map not yet frozen that is mapped writable or being
    /// written from user space, or not yet sealed and held by a map-in-map
    /// (the programs using that map-in-map could write it): what
    /// `bpf_map_freeze_kern()` refuses when sealing.
    fn check_freeze(&self) -> Result {
        let map = self.as_ptr();
        // SAFETY: the map is live (type invariant); its record is set at
        // creation.
        let record = unsafe { (*map).record } as usize;
        if self.map_type() == bindings::bpf_map_type_BPF_MAP_TYPE_STRUCT_OPS
            || (record != 0 && record < (-(bindings::MAX_ERRNO as isize)) as usize)
        {
            return Err(errno(bindings::EOPNOTSUPP));
        }
        // SAFETY: `frozen` is a live map's (type invariant) write-once bool,
        // read as `READ_ONCE()` would.
        let frozen = unsafe { core::ptr::read_volatile(&raw const (*map).frozen) };
        // SAFETY: the map is live (type invariant); the function only reads
        // an atomic counter.
        if !frozen && unsafe { bindings::bpf_map_write_active(map) } {
            return Err(EBUSY);
        }
        // SAFETY: `inner_users` is a live map's atomic counter, read as
        // `atomic_read()` would.
        let inner = unsafe { core::ptr::read_volatile(&raw const (*map).inner_users.counter) };
        // SAFETY: as for `frozen`.
        let sealed = unsafe { core::ptr::read_volatile(&raw const (*map).sealed) };
        if !sealed && inner != 0 {
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Freezes the map, and seals it if `seal`.
    fn freeze(&self, seal: bool) -> Result {
        // SAFETY: the map is live (type invariant).
        let ret = unsafe { bindings::bpf_map_freeze_kern(self.as_ptr(), seal) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// The programs in this prog array, each with a reference of its own.
    fn prog_array_entries(&self, out: &mut KVec<ARef<BpfProg>>) -> Result {
        // SAFETY: the map is live (type invariant); its size is set at
        // creation.
        let max = unsafe { (*self.as_ptr()).max_entries };
        for i in 0..max {
            // The helper returns the entry with a reference taken, or null.
            // SAFETY: the map is a live prog array (the caller checked its
            // type); the helper reads entry `i < max_entries` under RCU.
            let p = unsafe { bindings::checmate_prog_array_get(self.as_ptr(), i) };
            if let Some(p) = NonNull::new(p) {
                // SAFETY: the helper took the reference we now own.
                let prog = unsafe { ARef::<BpfProg>::from_raw(p.cast()) };
                if !out.iter().any(|q| same(q, &prog)) {
                    if out.len() >= MAX_WALK {
                        return Err(E2BIG);
                    }
                    out.push(prog, GFP_KERNEL)?;
                }
            }
        }
        Ok(())
    }
}

/// Are `a` and `b` references to the same object?
fn same<T: AlwaysRefCounted>(a: &ARef<T>, b: &ARef<T>) -> bool {
    core::ptr::eq::<T>(&**a, &**b)
}

/// A user reference on a prog array, held so that the BPF core does not
/// empty it when its last fd is closed and its pin removed. Held by a
/// locked hook, that is until reboot.
///
/// # Invariants
///
/// `0` points to a live `struct bpf_map` on which this object holds one
/// reference and one user reference.
pub(crate) struct HeldMap(NonNull<bindings::bpf_map>);

// SAFETY: map references may be taken and dropped on any thread (atomic
// counters); `HeldMap` exposes nothing of the map.
unsafe impl Send for HeldMap {}

impl HeldMap {
    fn new(map: &BpfMap) -> Self {
        // SAFETY: a reference is held on `map` (its type invariant), so the
        // map is live.
        unsafe { bindings::bpf_map_inc_with_uref(map.as_ptr()) };
        // INVARIANT: we own the references just taken.
        HeldMap(NonNull::from(map).cast())
    }
}

impl Drop for HeldMap {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own a reference and a user
        // reference.
        unsafe { bindings::bpf_map_put_with_uref(self.0.as_ptr()) };
    }
}

/// What a walk found: every program reachable from the roots through prog
/// arrays, the prog arrays, and the other maps.
struct Reach {
    prog_arrays: KVec<ARef<BpfMap>>,
    data_maps: KVec<ARef<BpfMap>>,
}

/// Walks the programs `roots` and everything they can tail-call.
fn reach(roots: &[&crate::bpf::Prog]) -> Result<Reach> {
    let mut progs: KVec<ARef<BpfProg>> = KVec::new();
    for p in roots {
        let r: ARef<BpfProg> = p.bpf().into();
        if !progs.iter().any(|q| same(q, &r)) {
            progs.push(r, GFP_KERNEL)?;
        }
    }
    let mut reach = Reach {
        prog_arrays: KVec::new(),
        data_maps: KVec::new(),
    };
    let mut i = 0;
    while i < progs.len() {
        let maps = progs[i].used_maps()?;
        i += 1;
        for m in maps {
            let list = if m.is_prog_array() {
                &mut reach.prog_arrays
            } else {
                &mut reach.data_maps
            };
            if list.iter().any(|q| same(q, &m)) {
                continue;
            }
            if m.is_prog_array() {
                m.prog_array_entries(&mut progs)?;
            }
            list.push(m, GFP_KERNEL)?;
        }
    }
    Ok(reach)
}

/// Protects what decides for `progs`, the programs of a locked hook:
/// freezes their prog arrays and holds them in `held`; with `data`, also
/// freezes and seals their other maps.
///
/// Errors, with nothing frozen and nothing held: `EOPNOTSUPP` if `data`
/// and a map cannot be frozen (spin locks, timers, kptrs), `EBUSY` if
/// `data` and a map is mapped writable or held by a map-in-map, `E2BIG`
/// for more than
/// [`MAX_WALK`] reachable programs, `ENOMEM`. Only a race with user space
/// (a map mapped writable, or a prog array filled, between the checks and
/// the freezing) can make it fail with some prog arrays frozen; it then
/// holds none of them.
pub(crate) fn protect(progs: &[&crate::bpf::Prog], data: bool, held: &mut KVec<HeldMap>) -> Result {
    // Check everything first, so that a refused lock or attach freezes
    // nothing.
    let first = reach(progs)?;
    if data {
        for m in first.data_maps.iter() {
            m.check_freeze()?;
        }
    }
    let mut new_held: KVec<HeldMap> = KVec::with_capacity(first.prog_arrays.len(), GFP_KERNEL)?;
    held.reserve(first.prog_arrays.len(), GFP_KERNEL)?;
    drop(first);
    // A prog array's contents may change until it is frozen: walk again
    // until a pass finds no prog array it had not frozen before.
    let mut frozen: KVec<ARef<BpfMap>> = KVec::new();
    let last_data = loop {
        let Reach {
            prog_arrays,
            data_maps,
        } = reach(progs)?;
        let mut fresh = false;
        for m in prog_arrays {
            if frozen.iter().any(|f| same(f, &m)) {
                continue;
            }
            m.freeze(false)?;
            frozen.push(m, GFP_KERNEL)?;
            fresh = true;
        }
        if !fresh {
            break data_maps;
        }
    };
    for m in frozen.iter() {
        if !held.iter().any(|h| h.0.as_ptr() == m.as_ptr()) {
            new_held.push(HeldMap::new(m), GFP_KERNEL)?;
        }
    }
    if data {
        for m in last_data.iter() {
            m.check_freeze()?;
        }
        for m in last_data.iter() {
            m.freeze(true)?;
        }
    }
    for h in new_held {
        held.push(h, GFP_KERNEL)?;
    }
    Ok(())
}
