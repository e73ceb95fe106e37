// SPDX-License-Identifier: GPL-2.0
//! Making the system match a policy: `apply` of a policy file, and the
//! install step it shares with `load`. A policy whose object is unchanged
//! has its map entries updated in place; a new object is loaded, its maps
//! filled, and its programs take the old ones' places with
//! CHECMATE_OP_REPLACE, so that no crossing of a hook runs neither policy
//! or both.

use crate::error::Error;
use crate::spec::{self, MapSpec, Val};
use crate::state::{self, EntryRec, Manifest, ProgRec};
use crate::{api, hook_by_name, hook_name, mode_name, policy, uapi};
use libbpf_rs::{MapCore, MapFlags, MapHandle, MapType, Object, OpenObject};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

/// A change to one map entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add {
        key: Vec<u8>,
        val: Val,
        text: String,
    },
    Update {
        key: Vec<u8>,
        val: Val,
        text: String,
    },
    /// Remove the entry; in an array, write zeros.
    Delete { key: Vec<u8>, text: String },
}

impl Change {
    pub fn line(&self, map: &str) -> String {
        match self {
            Change::Add { text, .. } => format!("  + {map}: {text}"),
            Change::Update { text, .. } => format!("  ~ {map}: {text}"),
            Change::Delete { text, .. } => format!("  - {map}: {text}"),
        }
    }
}

/// The entries of a map as they are: key -> `Val::repr()`. `complete`: all
/// of the map's entries (hash and LPM maps), not only the keys looked up.
#[derive(Debug, Default)]
pub struct Live {
    pub entries: BTreeMap<Vec<u8>, String>,
    pub complete: bool,
}

/// What changes `spec` asks of a map holding `live`, which the last apply
/// set to `recorded`. Entries the file no longer names are removed: in a
/// hash or LPM map every entry it does not name, in an array or cgroup
/// array those a previous apply set.
pub fn diff_map(spec: &MapSpec, live: &Live, recorded: &[EntryRec]) -> Vec<Change> {
    let mut out = Vec::new();
    for (key, (val, text)) in &spec.entries {
        match live.entries.get(key) {
            None => out.push(Change::Add {
                key: key.clone(),
                val: val.clone(),
                text: text.clone(),
            }),
            Some(r) if *r == val.repr() => {}
            Some(_) => out.push(Change::Update {
                key: key.clone(),
                val: val.clone(),
                text: text.clone(),
            }),
        }
    }
    let text_of = |k: &[u8]| {
        let h = spec::hex(k);
        recorded
            .iter()
            .find(|r| r.key == h)
            .map_or_else(|| format!("key {h}"), |r| r.text.clone())
    };
    let zero = spec::hex(&vec![0u8; spec.value_size]);
    let gone: Vec<Vec<u8>> = if live.complete {
        live.entries.keys().cloned().collect()
    } else {
        recorded
            .iter()
            .filter_map(|r| spec::unhex(&r.key))
            .collect()
    };
    for k in gone {
        if spec.entries.contains_key(&k) {
            continue;
        }
        let present = match live.entries.get(&k) {
            None => false,
            Some(v) => spec.map_type != MapType::Array || *v != zero,
        };
        if present {
            out.push(Change::Delete {
                text: text_of(&k),
                key: k,
            });
        }
    }
    out
}

/// Reads what `diff_map` compares from the live map.
fn read_live(map: &MapHandle, spec: &MapSpec, recorded: &[EntryRec]) -> Result<Live, Error> {
    let err = |e: libbpf_rs::Error| format!("read map {}: {e}", spec.name);
    let mut live = Live::default();
    match spec.map_type {
        MapType::CgroupArray => {
            // The kernel does not give cgroup array entries back: what the
            // last apply wrote is what they hold.
            for r in recorded {
                if let Some(k) = spec::unhex(&r.key) {
                    live.entries.insert(k, r.value.clone());
                }
            }
        }
        MapType::Array => {
            let keys = spec
                .entries
                .keys()
                .cloned()
                .chain(recorded.iter().filter_map(|r| spec::unhex(&r.key)));
            for k in keys {
                if let Some(v) = map.lookup(&k, MapFlags::ANY).map_err(err)? {
                    live.entries.insert(k, spec::hex(&v));
                }
            }
        }
        _ => {
            live.complete = true;
            for k in map.keys() {
                if let Some(v) = map.lookup(&k, MapFlags::ANY).map_err(err)? {
                    live.entries.insert(k, spec::hex(&v));
                }
            }
        }
    }
    Ok(live)
}

/// Writes `changes` to `map`.
fn write_changes(map: &MapHandle, spec: &MapSpec, changes: &[Change]) -> Result<(), Error> {
    let err = |e: libbpf_rs::Error| format!("update map {}: {e}", spec.name);
    for c in changes {
        match c {
            Change::Add { key, val, .. } | Change::Update { key, val, .. } => {
                let (bytes, _keep) = val_bytes(val)?;
                map.update(key, &bytes, MapFlags::ANY).map_err(err)?;
            }
            Change::Delete { key, .. } if spec.map_type == MapType::Array => {
                map.update(key, &vec![0u8; spec.value_size], MapFlags::ANY)
                    .map_err(err)?;
            }
            Change::Delete { key, .. } => map.delete(key).map_err(err)?,
        }
    }
    Ok(())
}

/// The bytes to write for `val`, and the file that must stay open until
/// they are written (a cgroup's fd).
fn val_bytes(val: &Val) -> Result<(Vec<u8>, Option<File>), Error> {
    match val {
        Val::Bytes(b) => Ok((b.clone(), None)),
        Val::Cgroup { path, id } => {
            let f = File::open(path).map_err(|e| format!("cgroup {path}: {e}"))?;
            if spec::cgroup_id(path)? != *id {
                return Err(Error::from(format!("cgroup {path} changed while applying")));
            }
            Ok(((f.as_raw_fd() as u32).to_ne_bytes().to_vec(), Some(f)))
        }
    }
}

fn records(spec: &MapSpec) -> Vec<EntryRec> {
    spec.entries
        .iter()
        .map(|(k, (v, t))| EntryRec {
            key: spec::hex(k),
            value: v.repr(),
            text: t.clone(),
        })
        .collect()
}

/// The name the kernel keeps of a program (BPF_OBJ_NAME_LEN - 1 bytes).
pub fn kernel_name(name: &str) -> String {
    name.chars().take(15).collect()
}

/// A program attached now, which a new one replaces.
#[derive(Debug)]
pub struct OldProg {
    /// The kernel's name for it (`kernel_name`).
    pub name: String,
    pub hook: u32,
    pub id: u32,
    pub fd: OwnedFd,
    /// Its `CHECMATE_ATTACH_F_*` flags there.
    pub flags: u32,
}

impl OldProg {
    /// Whether it is a monitor (attached log-only).
    pub fn log_only(&self) -> bool {
        self.flags & uapi::CHECMATE_ATTACH_F_LOG_ONLY != 0
    }
}

/// The attach flags of a policy's programs: monitor or enforcing.
pub fn attach_flags(monitor: bool) -> u32 {
    if monitor {
        uapi::CHECMATE_ATTACH_F_LOG_ONLY
    } else {
        0
    }
}

fn flags_word(flags: u32) -> &'static str {
    if flags & uapi::CHECMATE_ATTACH_F_LOG_ONLY != 0 {
        "monitor"
    } else {
        "enforcing"
    }
}

fn id_of(fd: BorrowedFd<'_>) -> u32 {
    api::prog_info(fd).map_or(0, |i| i.id)
}

/// The programs of policy `m` (directory `dir`) that are attached now.
pub fn attached_of(m: &Manifest, dir: &Path) -> Result<Vec<OldProg>, Error> {
    let mut out = Vec::new();
    for p in &m.programs {
        let Some(hook) = hook_by_name(&p.hook) else {
            continue;
        };
        let fd = match state::prog_fd(&dir.join(format!("prog_{}", p.name))) {
            Ok(fd) => fd,
            Err(_) => match api::prog_fd_by_id(p.id) {
                Ok(fd) => fd,
                Err(_) => continue,
            },
        };
        let id = id_of(fd.as_fd());
        let s = api::query(hook)?;
        if s.prog_ids.contains(&id) {
            out.push(OldProg {
                name: kernel_name(&p.name),
                hook,
                id,
                fd,
                flags: s.flags_of(id),
            });
        }
    }
    Ok(out)
}

/// Attached programs named as `progs` on the same hooks, other than `skip`.
pub fn attached_by_name(progs: &[(String, u32)], skip: &[u32]) -> Result<Vec<OldProg>, Error> {
    let mut out = Vec::new();
    let hooks: BTreeSet<u32> = progs.iter().map(|p| p.1).collect();
    for hook in hooks {
        let s = api::query(hook)?;
        for &id in &s.prog_ids {
            if skip.contains(&id) {
                continue;
            }
            let Some(name) = api::prog_name(id) else {
                continue;
            };
            if progs
                .iter()
                .any(|p| p.1 == hook && kernel_name(&p.0) == name)
            {
                if let Ok(fd) = api::prog_fd_by_id(id) {
                    out.push(OldProg {
                        name,
                        hook,
                        id,
                        fd,
                        flags: s.flags_of(id),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Which policy holds program `id`, if one does.
pub fn owner_of(id: u32) -> Option<String> {
    state::list()
        .ok()?
        .into_iter()
        .find(|m| m.programs.iter().any(|p| p.id == id))
        .map(|m| m.name)
}

pub fn describe(progs: &[OldProg]) -> String {
    progs
        .iter()
        .map(|p| {
            format!(
                "{} (id {}) on {}",
                p.name,
                p.id,
                hook_name(p.hook).unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Of the attached programs named as ours, those in the way: a program
/// another policy holds is not when it is a monitor, or with `shadow`
/// (ours is a monitor or attached already: the same object tried in
/// monitor mode beside the enforcing one, or promoted from it); one that
/// nobody holds always is.
pub fn in_the_way(foreign: Vec<OldProg>, shadow: bool) -> Vec<OldProg> {
    foreign
        .into_iter()
        .filter(|p| !(shadow || p.log_only()) || owner_of(p.id).is_none())
        .collect()
}

/// Refuses programs that another policy, or nobody, holds: replacing them
/// would leave a duplicate or take another policy's place.
fn refuse_foreign(name: &str, foreign: &[OldProg]) -> Result<(), Error> {
    if foreign.is_empty() {
        return Ok(());
    }
    let owners: BTreeSet<String> = foreign.iter().filter_map(|p| owner_of(p.id)).collect();
    let how = if owners.is_empty() {
        "detach them (`checmatectl detach HOOK ID`) first".to_string()
    } else {
        let o: Vec<String> = owners.into_iter().collect();
        format!(
            "they belong to policy {}: delete it, or use that name",
            o.join(", ")
        )
    };
    Err(Error::from(format!(
        "policy '{name}': programs of this object are attached already, not as '{name}': {}; {how}",
        describe(foreign)
    )))
}

/// What a hook must become: mode and lock.
#[derive(Debug, Clone, Copy, Default)]
pub struct HookGoal {
    pub mode: Option<u32>,
    pub lock: bool,
    pub freeze_maps: bool,
}

/// Modes that enforce no more than normal are set before the programs are
/// attached (a policy applied in log-only never enforces); append-only and
/// read-only after (they would refuse the attach).
fn mode_first(m: u32) -> bool {
    matches!(
        m,
        uapi::CHECMATE_MODE_NORMAL | uapi::CHECMATE_MODE_DISABLED | uapi::CHECMATE_MODE_LOG_ONLY
    )
}

fn hook_lines(hooks: &BTreeSet<u32>, goal: HookGoal) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for &h in hooks {
        let s = api::query(h)?;
        let hn = hook_name(h).unwrap_or("?");
        if let Some(m) = goal.mode {
            if s.mode != m {
                out.push(format!(
                    "  ~ mode {hn}: {} -> {}",
                    mode_name(s.mode),
                    mode_name(m)
                ));
            }
        }
        if goal.lock && !(s.locked && (s.maps_frozen || !goal.freeze_maps)) {
            out.push(format!(
                "  + lock {hn} until reboot{}",
                if goal.freeze_maps {
                    ", maps frozen"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(out)
}

fn set_modes(hooks: &BTreeSet<u32>, goal: HookGoal, first: bool) -> Result<(), Error> {
    let Some(m) = goal.mode else { return Ok(()) };
    if mode_first(m) != first {
        return Ok(());
    }
    for &h in hooks {
        if api::query(h)?.mode != m {
            api::set_mode(h, m)?;
        }
    }
    Ok(())
}

fn lock_hooks(hooks: &BTreeSet<u32>, goal: HookGoal) -> Result<(), Error> {
    if !goal.lock {
        return Ok(());
    }
    for &h in hooks {
        let s = api::query(h)?;
        if !(s.locked && (s.maps_frozen || !goal.freeze_maps)) {
            api::lock(h, goal.freeze_maps)?;
        }
    }
    Ok(())
}

/// A hook where programs cannot be replaced or detached now.
fn frozen_hook(hooks: impl Iterator<Item = u32>) -> Result<Option<String>, Error> {
    for h in hooks {
        let s = api::query(h)?;
        let why = if s.locked {
            "is locked until reboot"
        } else if matches!(
            s.mode,
            uapi::CHECMATE_MODE_APPEND_ONLY | uapi::CHECMATE_MODE_READ_ONLY
        ) {
            "is append-only or read-only"
        } else {
            continue;
        };
        return Ok(Some(format!("{} {why}", hook_name(h).unwrap_or("?"))));
    }
    Ok(None)
}

/// What `install` needs besides the object.
pub struct Install<'a> {
    pub manifest: Manifest,
    /// Maps the policy file fills: fresh, filled before any program runs.
    pub specs: &'a [MapSpec],
    /// Where compatible maps of the programs being replaced are taken from,
    /// so that their data carries over (maps the file fills excepted).
    pub reuse_from: Vec<PathBuf>,
    /// Also pin the maps here (load --pin-maps).
    pub pin_maps: Option<&'a Path>,
    /// Record the policy in bpffs (false: bpffs is not there; load only).
    pub record: bool,
    pub goal: HookGoal,
    /// Attach the programs as monitors (CHECMATE_ATTACH_F_LOG_ONLY).
    pub monitor: bool,
}

/// Whether `h` can stand in for the map `m` of the object.
fn compatible(h: &MapHandle, m: &libbpf_rs::OpenMapMut<'_>) -> bool {
    let Ok(info) = h.info() else { return false };
    let ptr = libbpf_rs::AsRawLibbpf::as_libbpf_object(m).as_ptr();
    // SAFETY: `ptr` is a map of the open object.
    let (ty, ks, vs, max, flags) = unsafe {
        (
            libbpf_sys::bpf_map__type(ptr),
            libbpf_sys::bpf_map__key_size(ptr),
            libbpf_sys::bpf_map__value_size(ptr),
            libbpf_sys::bpf_map__max_entries(ptr),
            libbpf_sys::bpf_map__map_flags(ptr),
        )
    };
    info.info.type_ == ty
        && info.info.key_size == ks
        && info.info.value_size == vs
        && info.info.max_entries == max
        && info.info.map_flags == flags
}

/// Loads the object, fills its maps, records it, and puts its programs in
/// the places of `old` (replacing those of the same name and hook in one
/// step each, attaching the others, then detaching the old ones left).
/// Returns the manifest written. On failure nothing of it stays attached.
pub fn install(
    mut open: OpenObject,
    progs: &[(String, u32)],
    old: &[OldProg],
    inst: Install<'_>,
) -> Result<Manifest, Error> {
    let name = inst.manifest.name.clone();
    // Data of maps the file does not fill carries over.
    for mut m in open.maps_mut() {
        let mname = m.name().to_string_lossy().into_owned();
        if mname.starts_with('.') || inst.specs.iter().any(|s| s.name == mname) {
            continue;
        }
        for d in &inst.reuse_from {
            let p = if d.starts_with(state::root()) {
                d.join(format!("map_{mname}"))
            } else {
                d.join(&mname)
            };
            let Ok(h) = MapHandle::from_pinned_path(&p) else {
                continue;
            };
            if compatible(&h, &m) {
                m.reuse_fd(h.as_fd())
                    .map_err(|e| format!("reuse map {mname}: {e}"))?;
                break;
            }
            eprintln!("checmatectl: note: map {mname} changed shape; the new one starts empty");
        }
    }
    let mut obj = open
        .load()
        .map_err(|e| policy::load_err(format!("load {}", inst.manifest.object), e))?;
    fill(&obj, inst.specs)?;

    let mut manifest = inst.manifest;
    manifest.programs = obj
        .progs()
        .map(|p| ProgRec {
            name: p.name().to_string_lossy().into_owned(),
            hook: hook_name(
                progs
                    .iter()
                    .find(|x| x.0 == p.name().to_string_lossy())
                    .map_or(0, |x| x.1),
            )
            .unwrap_or("?")
            .to_string(),
            id: id_of(p.as_fd()),
        })
        .collect();
    manifest.maps = inst
        .specs
        .iter()
        .map(|s| (s.name.clone(), records(s)))
        .collect();

    let stage = state::root().join(format!("{name}@new"));
    if inst.record {
        state::remove_dir(&stage)?;
        std::fs::create_dir(&stage).map_err(|e| format!("{}: {e}", stage.display()))?;
        for p in obj.progs() {
            state::pin_fd(
                p.as_fd(),
                &stage.join(format!("prog_{}", p.name().to_string_lossy())),
            )?;
        }
        for m in obj.maps() {
            let mname = m.name().to_string_lossy();
            if !mname.starts_with('.') {
                state::pin_fd(m.as_fd(), &stage.join(format!("map_{mname}")))?;
            }
        }
        state::write_manifest(&stage, &manifest)?;
    }
    let hooks: BTreeSet<u32> = progs.iter().map(|p| p.1).collect();
    let flags = attach_flags(inst.monitor);
    let r = set_modes(&hooks, inst.goal, true).and_then(|()| swap(&obj, progs, old, flags));
    if let Err(e) = r {
        let _ = state::remove_dir(&stage);
        return Err(e);
    }
    if let Some(d) = inst.pin_maps {
        policy::pin_maps(&mut obj, d)?;
    }
    if inst.record {
        let dir = state::dir(&name);
        let trash = state::root().join(format!("{name}@old"));
        state::remove_dir(&trash)?;
        if dir.exists() {
            std::fs::rename(&dir, &trash).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::rename(&stage, &dir).map_err(|e| format!("{}: {e}", stage.display()))?;
        state::remove_dir(&trash)?;
    }
    set_modes(&hooks, inst.goal, false)?;
    lock_hooks(&hooks, inst.goal)?;
    Ok(manifest)
}

/// Fills the object's maps from the file, before any of its programs runs.
fn fill(obj: &Object, specs: &[MapSpec]) -> Result<(), Error> {
    for s in specs {
        let m = obj
            .maps()
            .find(|m| m.name().to_string_lossy() == s.name)
            .ok_or_else(|| format!("map {} not in the object", s.name))?;
        for (k, (v, _)) in &s.entries {
            let (bytes, _keep) = val_bytes(v)?;
            m.update(k, &bytes, MapFlags::ANY)
                .map_err(|e| format!("fill map {}: {e}", s.name))?;
        }
    }
    Ok(())
}

enum Undo<'a> {
    Replaced(u32, BorrowedFd<'a>, &'a OldProg),
    Attached(u32, BorrowedFd<'a>),
    Detached(&'a OldProg),
}

/// The program behind `fd` on `hook` gets `want` for flags, if it has
/// others (a replacement may keep the old program's).
fn ensure_flags(hook: u32, fd: BorrowedFd<'_>, want: u32) -> Result<(), Error> {
    if api::query(hook)?.flags_of(id_of(fd)) != want {
        api::set_prog_flags(hook, fd, want)?;
    }
    Ok(())
}

/// The programs of `obj` take the places of `old`, with attach flags
/// `flags`; all or nothing.
fn swap(obj: &Object, progs: &[(String, u32)], old: &[OldProg], flags: u32) -> Result<(), Error> {
    let mut done: Vec<Undo<'_>> = Vec::new();
    let mut used = vec![false; old.len()];
    let news: Vec<_> = obj.progs().collect();
    let mut r = Ok(());
    for p in &news {
        let pname = p.name().to_string_lossy().into_owned();
        let hook = progs.iter().find(|x| x.0 == pname).map_or(0, |x| x.1);
        let fd = p.as_fd();
        let slot = old
            .iter()
            .enumerate()
            .position(|(i, o)| !used[i] && o.hook == hook && o.name == kernel_name(&pname));
        r = match slot {
            Some(i) => {
                used[i] = true;
                api::replace(hook, fd, old[i].fd.as_fd())
                    .map(|()| done.push(Undo::Replaced(hook, fd, &old[i])))
                    .and_then(|()| ensure_flags(hook, fd, flags))
            }
            None => {
                api::attach_flags(hook, fd, flags).map(|()| done.push(Undo::Attached(hook, fd)))
            }
        };
        if r.is_err() {
            break;
        }
    }
    if r.is_ok() {
        for (i, o) in old.iter().enumerate() {
            if !used[i] {
                r = api::detach(o.hook, o.fd.as_fd()).map(|()| done.push(Undo::Detached(o)));
                if r.is_err() {
                    break;
                }
            }
        }
    }
    let Err(e) = r else { return Ok(()) };
    for u in done.into_iter().rev() {
        let _ = match u {
            Undo::Replaced(h, new, o) => api::replace(h, o.fd.as_fd(), new)
                .and_then(|()| ensure_flags(h, o.fd.as_fd(), o.flags)),
            Undo::Attached(h, new) => api::detach(h, new),
            Undo::Detached(o) => api::attach_flags(o.hook, o.fd.as_fd(), o.flags),
        };
    }
    Err(Error {
        what: format!("{} (nothing was changed)", e.what),
        ..e
    })
}

/// SHA-256 of the object file, hex.
pub fn object_hash(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| {
        let msg = format!("{}: {e}", path.display());
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::not_found(msg)
        } else {
            Error::from(msg)
        }
    })?;
    Ok(spec::hex(&Sha256::digest(&bytes)))
}

/// What `apply` did or, with `dry_run`, would do: one line per change.
#[derive(Debug)]
pub struct Outcome {
    pub lines: Vec<String>,
    pub changed: bool,
}

/// Finishes a replacement that was cut short between the programs' swap
/// and the rename of the directory: `NAME@new` whose programs are attached
/// becomes `NAME`; one whose programs are not is dropped.
pub fn recover(name: &str) -> Result<(), Error> {
    let stage = state::root().join(format!("{name}@new"));
    if !stage.exists() {
        return Ok(());
    }
    let live = match state::read_manifest(&stage) {
        Ok(Some(m)) => !attached_of(&m, &stage)?.is_empty(),
        _ => false,
    };
    if live {
        let dir = state::dir(name);
        let trash = state::root().join(format!("{name}@old"));
        state::remove_dir(&trash)?;
        if dir.exists() {
            std::fs::rename(&dir, &trash).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::rename(&stage, &dir).map_err(|e| format!("{}: {e}", stage.display()))?;
        Ok(state::remove_dir(&trash)?)
    } else {
        Ok(state::remove_dir(&stage)?)
    }
}

/// Makes the system match the policy file at `file`.
pub fn apply(file: &Path, dry_run: bool) -> Result<Outcome, Error> {
    let pf = spec::read(file)?;
    if !dry_run {
        recover(&pf.name)?;
    }
    let hash = object_hash(&pf.object)?;
    let (open, progs) = policy::open(&pf.object)?;
    let specs = spec::type_maps(&open, &pf)?;
    let dir = state::dir(&pf.name);
    let old = state::read_manifest(&dir)?;
    let goal = HookGoal {
        mode: pf.mode.as_deref().map(crate::mode_by_name).transpose()?,
        lock: pf.lock,
        freeze_maps: pf.freeze_maps,
    };
    let hooks: BTreeSet<u32> = progs.iter().map(|p| p.1).collect();
    let mut lines = Vec::new();
    let name = &pf.name;

    let mine = match &old {
        Some(m) => attached_of(m, &dir)?,
        None => Vec::new(),
    };
    let mine_ids: Vec<u32> = mine.iter().map(|p| p.id).collect();
    // A monitor beside the enforcing policy of the same object, and, once
    // attached, its promotion and later applies (flipped to enforce before
    // the old policy is deleted, so that one of them enforces all along):
    // only a first load that would enforce beside another policy's copy
    // is refused.
    let shadow = pf.monitor || !mine.is_empty();
    refuse_foreign(
        name,
        &in_the_way(attached_by_name(&progs, &mine_ids)?, shadow),
    )?;
    let want = attach_flags(pf.monitor);

    let whole = old
        .as_ref()
        .filter(|m| m.object_sha256 == hash && !mine.is_empty() && mine.len() == m.programs.len());
    if let Some(m) = whole {
        // Same object, all of it attached: entries in place.
        let mut plan = Vec::new();
        for s in &specs {
            let pin = dir.join(format!("map_{}", s.name));
            let map =
                MapHandle::from_pinned_path(&pin).map_err(|e| format!("{}: {e}", pin.display()))?;
            let rec = m.maps.get(&s.name).map_or(&[][..], |v| &v[..]);
            let changes = diff_map(s, &read_live(&map, s, rec)?, rec);
            lines.extend(changes.iter().map(|c| c.line(&s.name)));
            plan.push((map, s, changes));
        }
        let entry_changes = plan.iter().any(|p| !p.2.is_empty());
        // Maps the file filled before and names no more: their entries go.
        for (mname, rec) in &m.maps {
            if !pf.maps.contains_key(mname) && !rec.is_empty() {
                lines.push(format!(
                    "  = {mname}: no longer in the file; its {} entries are left as they are",
                    rec.len()
                ));
            }
        }
        // Monitor <-> enforcing: the same programs, their flags changed.
        let flips: Vec<&OldProg> = mine
            .iter()
            .filter(|p| p.flags & uapi::CHECMATE_ATTACH_F_LOG_ONLY != want)
            .collect();
        for p in &flips {
            lines.push(format!(
                "  ~ program {} (id {}) on {}: {} -> {}",
                p.name,
                p.id,
                hook_name(p.hook).unwrap_or("?"),
                flags_word(p.flags),
                flags_word(want)
            ));
        }
        lines.extend(hook_lines(&hooks, goal)?);
        if entry_changes {
            for &h in &hooks {
                if api::query(h)?.maps_frozen {
                    return Err(Error::refused(format!(
                        "policy '{name}': the maps of {} are frozen until reboot; its entries cannot change",
                        hook_name(h).unwrap_or("?")
                    )));
                }
            }
        }
        let changed = !lines.is_empty();
        let head = format!(
            "policy {name}: {}",
            if changed {
                "update in place"
            } else {
                "unchanged"
            }
        );
        lines.insert(0, head);
        if dry_run || !changed {
            return Ok(Outcome { lines, changed });
        }
        // A monitor stops enforcing before its entries change; one that
        // starts enforcing does so with the new entries.
        let flip = |p: &&OldProg| {
            let f = (p.flags & !uapi::CHECMATE_ATTACH_F_LOG_ONLY) | want;
            api::set_prog_flags(p.hook, p.fd.as_fd(), f)
        };
        if pf.monitor {
            flips.iter().try_for_each(flip)?;
        }
        for (map, s, changes) in &plan {
            write_changes(map, s, changes)?;
        }
        if !pf.monitor {
            flips.iter().try_for_each(flip)?;
        }
        let mut nm = m.clone();
        nm.monitor = pf.monitor;
        nm.kind = "apply".into();
        nm.source = Some(file.display().to_string());
        nm.maps = specs.iter().map(|s| (s.name.clone(), records(s))).collect();
        nm.mode = pf.mode.clone();
        nm.lock = pf.lock;
        nm.freeze_maps = pf.freeze_maps;
        set_modes(&hooks, goal, true)?;
        set_modes(&hooks, goal, false)?;
        lock_hooks(&hooks, goal)?;
        state::write_manifest(&dir, &nm)?;
        return Ok(Outcome { lines, changed });
    }

    // A new policy, or a new object: load it and put it in place.
    lines.push(format!(
        "policy {name}: {} {}",
        if mine.is_empty() {
            "load"
        } else {
            "replace with"
        },
        pf.object.display()
    ));
    for (p, h) in &progs {
        let hn = hook_name(*h).unwrap_or("?");
        match mine
            .iter()
            .find(|o| o.hook == *h && o.name == kernel_name(p))
        {
            Some(o) if o.flags & uapi::CHECMATE_ATTACH_F_LOG_ONLY != want => lines.push(format!(
                "  ~ program {p} on {hn}: replaces id {}, {} -> {}",
                o.id,
                flags_word(o.flags),
                flags_word(want)
            )),
            Some(o) => lines.push(format!("  ~ program {p} on {hn}: replaces id {}", o.id)),
            None => lines.push(format!(
                "  + program {p} on {hn}{}",
                if pf.monitor { " (monitor)" } else { "" }
            )),
        }
    }
    for o in &mine {
        if !progs
            .iter()
            .any(|(p, h)| o.hook == *h && o.name == kernel_name(p))
        {
            lines.push(format!(
                "  - program {} (id {}) on {}",
                o.name,
                o.id,
                hook_name(o.hook).unwrap_or("?")
            ));
        }
    }
    for s in &specs {
        for (_, text) in s.entries.values() {
            lines.push(format!("  + {}: {text}", s.name));
        }
    }
    lines.extend(hook_lines(&hooks, goal)?);
    if let Some(why) = frozen_hook(mine.iter().map(|o| o.hook))? {
        return Err(Error::refused(format!(
            "policy '{name}': its programs cannot be replaced: {why}"
        )));
    }
    if dry_run {
        return Ok(Outcome {
            lines,
            changed: true,
        });
    }
    state::make_root()?;
    let manifest = Manifest {
        version: 1,
        name: name.clone(),
        kind: "apply".into(),
        source: Some(file.display().to_string()),
        object: pf.object.display().to_string(),
        object_sha256: hash,
        programs: Vec::new(),
        maps: BTreeMap::new(),
        mode: pf.mode.clone(),
        lock: pf.lock,
        freeze_maps: pf.freeze_maps,
        monitor: pf.monitor,
    };
    install(
        open,
        &progs,
        &mine,
        Install {
            manifest,
            specs: &specs,
            reuse_from: vec![dir],
            pin_maps: None,
            record: true,
            goal,
            monitor: pf.monitor,
        },
    )?;
    Ok(Outcome {
        lines,
        changed: true,
    })
}

/// Detaches a policy's programs and removes its directory.
pub fn delete(name: &str) -> Result<Vec<String>, Error> {
    spec::check_name(name)?;
    let dir = state::dir(name);
    let m = state::read_manifest(&dir)?.ok_or_else(|| {
        Error::not_found(format!(
            "no policy '{name}' (see `checmatectl list`; {} has no manifest)",
            dir.display()
        ))
    })?;
    let progs = attached_of(&m, &dir)?;
    if let Some(why) = frozen_hook(progs.iter().map(|p| p.hook))? {
        return Err(Error::refused(format!(
            "policy '{name}' cannot be deleted: {why}"
        )));
    }
    let mut lines = Vec::new();
    for p in &progs {
        api::detach(p.hook, p.fd.as_fd())?;
        lines.push(format!(
            "detached {} (id {}) from {}",
            p.name,
            p.id,
            hook_name(p.hook).unwrap_or("?")
        ));
    }
    state::remove_dir(&dir)?;
    lines.push(format!("policy {name}: deleted"));
    Ok(lines)
}

/// The policy name of a bare object: its file name without `.bpf.o`/`.o`,
/// other dots made `_`.
pub fn name_of_object(object: &Path) -> String {
    let f = object
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let f = f.strip_suffix(".o").unwrap_or(&f);
    // bpffs refuses names with a '.'.
    f.strip_suffix(".bpf").unwrap_or(f).replace('.', "_")
}

/// `checmatectl load`: a bare object as policy `name` (default: the object's
/// file name). Refuses if its programs are attached already, unless
/// `replace`: then the new programs take their places in one step each,
/// and the maps whose shape did not change carry their data over.
pub fn load(
    object: &Path,
    name: Option<&str>,
    replace: bool,
    pin_maps: Option<&Path>,
) -> Result<Vec<String>, Error> {
    let name = name.map_or_else(|| name_of_object(object), str::to_string);
    spec::check_name(&name)?;
    let (open, progs) = policy::open(object)?;
    let dir = state::dir(&name);
    let record = match state::make_root() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("checmatectl: note: the policy is not recorded: {e}");
            false
        }
    };
    let old = if record {
        recover(&name)?;
        state::read_manifest(&dir)?
    } else {
        None
    };
    let mut existing = match &old {
        Some(m) => attached_of(m, &dir)?,
        None => Vec::new(),
    };
    let ids: Vec<u32> = existing.iter().map(|p| p.id).collect();
    let (elsewhere, unowned): (Vec<OldProg>, Vec<OldProg>) =
        in_the_way(attached_by_name(&progs, &ids)?, false)
            .into_iter()
            .partition(|p| owner_of(p.id).is_some_and(|o| o != name));
    refuse_foreign(&name, &elsewhere)?;
    existing.extend(unowned);
    if !existing.is_empty() && !replace {
        return Err(Error::from(format!(
            "policy '{name}' is loaded already: {}; `checmatectl load --replace` puts this \
             object in its place in one step{}",
            describe(&existing),
            if old.is_some() {
                format!(", `checmatectl delete {name}` removes it")
            } else {
                String::new()
            }
        )));
    }
    if let Some(why) = frozen_hook(existing.iter().map(|o| o.hook))? {
        return Err(Error::refused(format!(
            "policy '{name}': its programs cannot be replaced: {why}"
        )));
    }
    let mut reuse_from = Vec::new();
    if replace {
        reuse_from.push(dir.clone());
        reuse_from.extend(pin_maps.map(Path::to_path_buf));
    }
    let manifest = Manifest {
        version: 1,
        name: name.clone(),
        kind: "load".into(),
        source: None,
        object: object.display().to_string(),
        object_sha256: object_hash(object)?,
        programs: Vec::new(),
        maps: BTreeMap::new(),
        mode: None,
        lock: false,
        freeze_maps: false,
        monitor: false,
    };
    let m = install(
        open,
        &progs,
        &existing,
        Install {
            manifest,
            specs: &[],
            reuse_from,
            pin_maps,
            record,
            goal: HookGoal::default(),
            monitor: false,
        },
    )?;
    Ok(m.programs
        .iter()
        .map(|p| {
            let was = existing
                .iter()
                .find(|o| o.name == kernel_name(&p.name) && hook_name(o.hook) == Some(&p.hook));
            match was {
                Some(o) => format!(
                    "replaced id {} with {} (id {}) on {}",
                    o.id, p.name, p.id, p.hook
                ),
                None => format!("attached {} (id {}) to {}", p.name, p.id, p.hook),
            }
        })
        .collect())
}
