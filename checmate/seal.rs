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

/// Most programs one lock walks (attached programs and what they can
/// tail-call); a larger graph fails the lock with `E2BIG`.
const MAX_WALK: usize = 1024;

/// A counted reference to a BPF program of any type.
///
/// # Invariants
///
/// `0` points to a live `struct bpf_prog` on which this object holds one
/// reference.
struct ProgRef(NonNull<bindings::bpf_prog>);

impl ProgRef {
    /// A new reference to `prog`.
    ///
    /// # Safety
    ///
    /// `prog` must be a live program on which the caller holds a reference
    /// for the duration of the call.
    unsafe fn new(prog: NonNull<bindings::bpf_prog>) -> Self {
        // SAFETY: the caller holds a reference, so the program is live and
        // its refcount is not zero.
        unsafe { bindings::bpf_prog_inc(prog.as_ptr()) };
        // INVARIANT: we own the reference just taken.
        ProgRef(prog)
    }

    /// The maps the program uses, each with a reference of its own.
    fn used_maps(&self) -> Result<KVec<MapRef>> {
        let prog = self.0.as_ptr();
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
            let Some(map) = NonNull::new(map) else {
                continue;
            };
            // SAFETY: the program holds a reference on `map`, and we hold
            // the program.
            let map = unsafe { MapRef::new(map) };
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

    fn same(&self, other: &ProgRef) -> bool {
        self.0 == other.0
    }
}

impl Drop for ProgRef {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own one reference.
        unsafe { bindings::bpf_prog_put(self.0.as_ptr()) };
    }
}

/// A counted reference to a BPF map.
///
/// # Invariants
///
/// `0` points to a live `struct bpf_map` on which this object holds one
/// reference.
struct MapRef(NonNull<bindings::bpf_map>);

impl MapRef {
    /// A new reference to `map`.
    ///
    /// # Safety
    ///
    /// `map` must be live, referenced by the caller (directly or through an
    /// object it holds) for the duration of the call.
    unsafe fn new(map: NonNull<bindings::bpf_map>) -> Self {
        // SAFETY: the caller guarantees the map is live.
        unsafe { bindings::bpf_map_inc(map.as_ptr()) };
        // INVARIANT: we own the reference just taken.
        MapRef(map)
    }

    fn map(&self) -> &bindings::bpf_map {
        // SAFETY: live while we hold our reference (type invariant).
        unsafe { self.0.as_ref() }
    }

    fn is_prog_array(&self) -> bool {
        self.map().map_type == bindings::bpf_map_type_BPF_MAP_TYPE_PROG_ARRAY
    }

    /// Would [`MapRef::freeze`] succeed now? `EOPNOTSUPP` for struct_ops
    /// maps and maps with special fields (spin locks, timers, kptrs),
    /// `EBUSY` for a map not yet frozen that is mapped writable or being
    /// written from user space, or not yet sealed and held by a map-in-map
    /// (the programs using that map-in-map could write it): what
    /// `bpf_map_freeze_kern()` refuses when sealing.
    fn check_freeze(&self) -> Result {
        let map = self.map();
        let record = map.record as usize;
        if map.map_type == bindings::bpf_map_type_BPF_MAP_TYPE_STRUCT_OPS
            || (record != 0 && record < (-(bindings::MAX_ERRNO as isize)) as usize)
        {
            return Err(errno(bindings::EOPNOTSUPP));
        }
        // SAFETY: `frozen` is a live map's (type invariant) write-once bool,
        // read as `READ_ONCE()` would.
        let frozen = unsafe { core::ptr::read_volatile(&map.frozen) };
        // SAFETY: the map is live (type invariant); the function only reads
        // an atomic counter.
        if !frozen && unsafe { bindings::bpf_map_write_active(map) } {
            return Err(EBUSY);
        }
        // SAFETY: `inner_users` is a live map's atomic counter, read as
        // `atomic_read()` would.
        let inner = unsafe { core::ptr::read_volatile(&map.inner_users.counter) };
        // SAFETY: as for `frozen`.
        let sealed = unsafe { core::ptr::read_volatile(&map.sealed) };
        if !sealed && inner != 0 {
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Freezes the map, and seals it if `seal`.
    fn freeze(&self, seal: bool) -> Result {
        // SAFETY: the map is live (type invariant).
        let ret = unsafe { bindings::bpf_map_freeze_kern(self.0.as_ptr(), seal) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// The programs in this prog array, each with a reference of its own.
    fn prog_array_entries(&self, out: &mut KVec<ProgRef>) -> Result {
        for i in 0..self.map().max_entries {
            // The helper returns the entry with a reference taken, or null.
            // SAFETY: the map is a live prog array (the caller checked its
            // type); the helper reads entry `i < max_entries` under RCU.
            let p = unsafe { bindings::checmate_prog_array_get(self.0.as_ptr(), i) };
            if let Some(p) = NonNull::new(p) {
                // INVARIANT: the helper took the reference we now own.
                let prog = ProgRef(p);
                if !out.iter().any(|q| q.same(&prog)) {
                    if out.len() >= MAX_WALK {
                        return Err(E2BIG);
                    }
                    out.push(prog, GFP_KERNEL)?;
                }
            }
        }
        Ok(())
    }

    fn same(&self, other: &MapRef) -> bool {
        self.0 == other.0
    }
}

impl Drop for MapRef {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own one reference.
        unsafe { bindings::bpf_map_put(self.0.as_ptr()) };
    }
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
    fn new(map: &MapRef) -> Self {
        // SAFETY: `map` holds a reference, so the map is live.
        unsafe { bindings::bpf_map_inc_with_uref(map.0.as_ptr()) };
        // INVARIANT: we own the references just taken.
        HeldMap(map.0)
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
    prog_arrays: KVec<MapRef>,
    data_maps: KVec<MapRef>,
}

/// Walks the programs `roots` and everything they can tail-call.
fn reach(roots: &[&crate::bpf::Prog]) -> Result<Reach> {
    let mut progs: KVec<ProgRef> = KVec::new();
    for p in roots {
        // SAFETY: `Prog` holds a reference on a live program.
        let r = unsafe { ProgRef::new(p.raw()) };
        if !progs.iter().any(|q| q.same(&r)) {
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
            if list.iter().any(|q| q.same(&m)) {
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
    let mut frozen: KVec<MapRef> = KVec::new();
    let last_data = loop {
        let Reach {
            prog_arrays,
            data_maps,
        } = reach(progs)?;
        let mut fresh = false;
        for m in prog_arrays {
            if frozen.iter().any(|f| f.same(&m)) {
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
        if !held.iter().any(|h| h.0 == m.0) {
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
