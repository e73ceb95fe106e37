// SPDX-License-Identifier: GPL-2.0
//! Where a policy lives once checmatectl has exited: one bpffs directory per
//! policy, /sys/fs/bpf/checmate/NAME/, holding its programs (`prog_<name>`),
//! its maps (`map_<name>`) and its manifest (`manifest`: a frozen one-entry
//! array map whose value is the manifest's JSON; bpffs holds no plain files).
//! A replacement stages the new directory as `NAME@new` (bpffs names hold no
//! `.`) and renames it into place.

use libbpf_rs::{MapCore, MapFlags, MapHandle, MapType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The bpffs directory of all policies; `CHECMATE_STATE_DIR` overrides it.
pub fn root() -> PathBuf {
    std::env::var_os("CHECMATE_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/sys/fs/bpf/checmate"))
}

pub fn dir(name: &str) -> PathBuf {
    root().join(name)
}

/// A program of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgRec {
    pub name: String,
    pub hook: String,
    pub id: u32,
}

/// A map entry a policy file set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRec {
    /// Key bytes, hex.
    pub key: String,
    /// `spec::Val::repr()` of the value.
    pub value: String,
    /// The entry as the file wrote it.
    pub text: String,
}

/// What checmatectl knows of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub name: String,
    /// "apply" (from a policy file) or "load" (a bare object).
    pub kind: String,
    /// The policy file, for "apply".
    #[serde(default)]
    pub source: Option<String>,
    pub object: String,
    pub object_sha256: String,
    pub programs: Vec<ProgRec>,
    /// The entries the policy file set, by map.
    #[serde(default)]
    pub maps: BTreeMap<String, Vec<EntryRec>>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub lock: bool,
    #[serde(default)]
    pub freeze_maps: bool,
    /// The programs are monitors (attached log-only), for "apply" of a
    /// policy file with `monitor = true`.
    #[serde(default)]
    pub monitor: bool,
}

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn ctx<'a>(what: &'a str, p: &'a Path) -> impl FnOnce(io::Error) -> String + 'a {
    move |e| format!("{what} {}: {e}", p.display())
}

/// Pins the program or map behind `fd` at `path`.
pub fn pin_fd(fd: BorrowedFd<'_>, path: &Path) -> Result<(), String> {
    let c = cpath(path).map_err(ctx("pin", path))?;
    // SAFETY: `c` is a NUL-terminated path, `fd` an open fd.
    let r = unsafe { libbpf_sys::bpf_obj_pin(fd.as_raw_fd(), c.as_ptr()) };
    if r < 0 {
        return Err(ctx("pin", path)(io::Error::from_raw_os_error(-r)));
    }
    Ok(())
}

/// The program pinned at `path`.
pub fn prog_fd(path: &Path) -> Result<OwnedFd, String> {
    libbpf_rs::Program::fd_from_pinned_path(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `m` as the manifest of directory `dir`, replacing the old one in
/// one rename.
pub fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), String> {
    let json = serde_json::to_vec(m).map_err(|e| e.to_string())?;
    let opts = libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_map_create_opts>() as libbpf_sys::size_t,
        ..Default::default()
    };
    let mut map = MapHandle::create(
        MapType::Array,
        Some("checmate_mf"),
        4,
        json.len().max(1) as u32,
        1,
        &opts,
    )
    .map_err(|e| format!("create the manifest map: {e}"))?;
    map.update(&0u32.to_ne_bytes(), &json, MapFlags::ANY)
        .map_err(|e| format!("write the manifest: {e}"))?;
    map.freeze()
        .map_err(|e| format!("freeze the manifest: {e}"))?;
    let tmp = dir.join("manifest_new");
    let _ = std::fs::remove_file(&tmp);
    map.pin(&tmp)
        .map_err(|e| format!("pin {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join("manifest")).map_err(ctx("rename", &tmp))
}

/// The manifest of directory `dir`; None if there is none.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, String> {
    let p = dir.join("manifest");
    if !p.exists() {
        return Ok(None);
    }
    let map = MapHandle::from_pinned_path(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    let v = map
        .lookup(&0u32.to_ne_bytes(), MapFlags::ANY)
        .map_err(|e| format!("{}: {e}", p.display()))?
        .unwrap_or_default();
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
    serde_json::from_slice(&v[..end])
        .map(Some)
        .map_err(|e| format!("{}: not a checmatectl manifest: {e}", p.display()))
}

/// Every policy's manifest, by name.
pub fn list() -> Result<Vec<Manifest>, String> {
    let root = root();
    let rd = match std::fs::read_dir(&root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", root.display())),
    };
    let mut out = Vec::new();
    for ent in rd.flatten() {
        // NAME@new, NAME@old: a replacement under way.
        if ent.file_name().as_bytes().contains(&b'@') {
            continue;
        }
        if let Some(m) = read_manifest(&ent.path())? {
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Removes a policy directory and its pins (a pin keeps a program or map
/// alive; detach first).
pub fn remove_dir(dir: &Path) -> Result<(), String> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    for ent in rd.flatten() {
        std::fs::remove_file(ent.path()).map_err(ctx("unpin", &ent.path()))?;
    }
    std::fs::remove_dir(dir).map_err(ctx("remove", dir))
}

/// Makes the root directory, mounting nothing: /sys/fs/bpf must be bpffs.
pub fn make_root() -> Result<(), String> {
    let root = root();
    std::fs::create_dir_all(&root).map_err(|e| {
        format!(
            "{}: {e} (is bpffs mounted on its parent? mount -t bpf bpf /sys/fs/bpf)",
            root.display()
        )
    })
}
