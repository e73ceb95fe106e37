// SPDX-License-Identifier: GPL-2.0
//! Declarative policy files (TOML) and the typing of their map entries from
//! the BPF object's BTF: a key or value is written by field name, each field
//! converted by its C type (integers, `__be16`/`__be32`, enums by name,
//! arrays, IPv4/IPv6 addresses, CIDR prefixes in LPM trie keys, cgroup paths
//! as cgroup ids or, in cgroup arrays, as cgroups).

use libbpf_rs::btf::types::{Array, Composite, Enum, Int, IntEncoding};
use libbpf_rs::btf::{Btf, BtfKind, BtfType, HasSize, TypeId};
use libbpf_rs::{AsRawLibbpf, MapType, OpenObject};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A policy file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// The policy's name: its directory under /sys/fs/bpf/checmate/.
    pub name: String,
    /// The BPF object, relative to the policy file's directory.
    pub object: PathBuf,
    /// The mode of the hooks its programs attach to; unset: left as is.
    #[serde(default)]
    pub mode: Option<String>,
    /// Lock those hooks until reboot.
    #[serde(default)]
    pub lock: bool,
    /// With `lock`: also freeze and seal the maps of their programs.
    #[serde(default)]
    pub freeze_maps: bool,
    /// Monitor mode for this policy alone: its programs are attached
    /// log-only (CHECMATE_ATTACH_F_LOG_ONLY): their denials are reported
    /// as events, never enforced, while the other programs of the same
    /// hooks enforce as before. Applied again with `monitor = false`, the
    /// same programs start enforcing (no detach, no reload).
    #[serde(default)]
    pub monitor: bool,
    /// The contents of the maps it names, by map name; a map it does not
    /// name is left to the programs.
    #[serde(default)]
    pub maps: BTreeMap<String, Vec<Entry>>,
}

/// One map entry, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub key: toml::Value,
    pub value: toml::Value,
}

/// Parses a policy file's text and checks what needs no object.
pub fn parse(text: &str) -> Result<PolicyFile, String> {
    let p: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
    check_name(&p.name)?;
    if let Some(m) = &p.mode {
        crate::mode_by_name(m)?;
    }
    if p.freeze_maps && !p.lock {
        return Err("freeze_maps needs lock = true".into());
    }
    Ok(p)
}

/// Reads and parses the policy file at `path`; the object path is made
/// relative to the file's directory.
pub fn read(path: &Path) -> Result<PolicyFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut p = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if p.object.is_relative() {
        let dir = path.parent().unwrap_or(Path::new("."));
        p.object = dir.join(&p.object);
    }
    Ok(p)
}

/// A policy name: letters, digits, `_` and `-`, at most 64 bytes (it names
/// a bpffs directory, where no name may hold a `.`).
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_-".contains(&c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "policy name '{name}': use 1 to 64 letters, digits, '_' or '-'"
        ))
    }
}

/// A value to write to a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Bytes(Vec<u8>),
    /// A cgroup, for a cgroup array: written as an fd of its directory.
    Cgroup {
        path: String,
        id: u64,
    },
}

impl Val {
    /// What the manifest records and the diff compares.
    pub fn repr(&self) -> String {
        match self {
            Val::Bytes(b) => hex(b),
            Val::Cgroup { path, id } => format!("cgroup:{path}#{id}"),
        }
    }
}

/// The entries a policy file gives one map, typed.
#[derive(Debug, Clone)]
pub struct MapSpec {
    pub name: String,
    pub map_type: MapType,
    pub key_size: usize,
    pub value_size: usize,
    /// key bytes -> (value, the entry as written, for messages)
    pub entries: BTreeMap<Vec<u8>, (Val, String)>,
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// An entry as written, on one line.
pub fn show_entry(e: &Entry) -> String {
    format!("{} = {}", inline(&e.key), inline(&e.value))
}

fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let f: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", f.join(", "))
        }
        toml::Value::Array(a) => {
            let f: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", f.join(", "))
        }
        v => v.to_string(),
    }
}

/// The BTF of an open object (None: it has none).
pub fn object_btf(obj: &OpenObject) -> Result<Option<Btf<'_>>, String> {
    let raw = obj.as_libbpf_object();
    // SAFETY: `raw` points to the open object `obj`, which outlives `btf`.
    Btf::from_bpf_object(unsafe { raw.as_ref() }).map_err(|e| format!("read the object's BTF: {e}"))
}

/// BTF key and value type ids, key and value sizes of a map of an open
/// object.
pub fn map_type_ids(map: &libbpf_rs::OpenMap<'_>) -> (u32, u32, u32, u32) {
    let ptr = map.as_libbpf_object().as_ptr();
    // SAFETY: `ptr` is a map of the open object.
    unsafe {
        (
            libbpf_sys::bpf_map__btf_key_type_id(ptr),
            libbpf_sys::bpf_map__btf_value_type_id(ptr),
            libbpf_sys::bpf_map__key_size(ptr),
            libbpf_sys::bpf_map__value_size(ptr),
        )
    }
}

/// Types the map entries of `file` against the object's BTF.
pub fn type_maps(obj: &OpenObject, file: &PolicyFile) -> Result<Vec<MapSpec>, String> {
    let btf = object_btf(obj)?;
    let mut out = Vec::new();
    for (name, entries) in &file.maps {
        let map = obj
            .maps()
            .find(|m| m.name().to_str() == Some(name.as_str()))
            .ok_or_else(|| {
                let names: Vec<String> = obj
                    .maps()
                    .map(|m| m.name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect();
                format!(
                    "map '{name}' is not in the object; its maps: {}",
                    names.join(", ")
                )
            })?;
        let (kid, vid, ks, vs) = map_type_ids(&map);
        let kt = Types {
            btf: btf.as_ref(),
            id: kid,
            size: ks as usize,
        };
        let vt = Types {
            btf: btf.as_ref(),
            id: vid,
            size: vs as usize,
        };
        let spec = type_entries(name, map.map_type(), kt, vt, entries)?;
        out.push(spec);
    }
    Ok(out)
}

/// A key or value type: BTF id (0: none) and size.
#[derive(Clone, Copy)]
pub struct Types<'a, 'b> {
    pub btf: Option<&'a Btf<'b>>,
    pub id: u32,
    pub size: usize,
}

/// Types the entries of one map.
pub fn type_entries(
    name: &str,
    map_type: MapType,
    kt: Types<'_, '_>,
    vt: Types<'_, '_>,
    entries: &[Entry],
) -> Result<MapSpec, String> {
    let mut spec = MapSpec {
        name: name.to_string(),
        map_type,
        key_size: kt.size,
        value_size: vt.size,
        entries: BTreeMap::new(),
    };
    let supported = matches!(
        map_type,
        MapType::Hash | MapType::LruHash | MapType::Array | MapType::LpmTrie | MapType::CgroupArray
    );
    if !supported {
        return Err(format!(
            "map '{name}': a {map_type:?} map cannot be filled from a policy file"
        ));
    }
    for (i, e) in entries.iter().enumerate() {
        let at = |m: String| format!("map '{name}', entry {}: {m}", i + 1);
        let lpm = map_type == MapType::LpmTrie;
        let key = encode_top(kt, &e.key, lpm, "key").map_err(at)?;
        let val = if map_type == MapType::CgroupArray {
            let path = e
                .value
                .as_str()
                .ok_or_else(|| at("a cgroup array's value is a cgroup path".into()))?;
            Val::Cgroup {
                path: path.to_string(),
                id: cgroup_id(path).map_err(at)?,
            }
        } else {
            Val::Bytes(encode_top(vt, &e.value, false, "value").map_err(at)?)
        };
        if spec.entries.insert(key, (val, show_entry(e))).is_some() {
            return Err(at("the same key is given twice".into()));
        }
    }
    Ok(spec)
}

/// The cgroup v2 id of the cgroup at `path` (its directory's inode number).
pub fn cgroup_id(path: &str) -> Result<u64, String> {
    let md = std::fs::metadata(path).map_err(|e| format!("cgroup '{path}': {e}"))?;
    if !md.is_dir() {
        return Err(format!("cgroup '{path}': not a directory"));
    }
    Ok(md.ino())
}

/// The bytes of a key given as a policy file gives it (`lpm`: the map is
/// an LPM trie), for `map lookup`.
pub fn encode_key(t: Types<'_, '_>, v: &toml::Value, lpm: bool) -> Result<Vec<u8>, String> {
    encode_top(t, v, lpm, "key")
}

/// The bytes of a value given as a policy file gives it.
pub fn encode_value(t: Types<'_, '_>, v: &toml::Value) -> Result<Vec<u8>, String> {
    encode_top(t, v, false, "value")
}

/// The size of BTF type `id`.
pub fn type_size(btf: &Btf<'_>, id: TypeId) -> Result<usize, String> {
    size_of(btf, id)
}

/// State of an LPM trie key being written: the prefix length the address
/// fields imply, and whether `prefixlen` was given.
#[derive(Default)]
struct Lpm {
    implied: Option<u32>,
    explicit: bool,
}

fn encode_top(
    t: Types<'_, '_>,
    v: &toml::Value,
    lpm: bool,
    label: &str,
) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; t.size];
    let Some(btf) = t.btf.filter(|_| t.id != 0) else {
        return encode_untyped(v, &mut buf)
            .map(|()| buf)
            .map_err(|e| format!("{label}: {e}"));
    };
    let mut st = Lpm::default();
    let mut enc = Enc {
        btf,
        lpm: if lpm { Some(&mut st) } else { None },
        buf: &mut buf,
    };
    let id = TypeId::from(t.id);
    if lpm {
        // A bare address or CIDR for the whole key: the member after
        // prefixlen (struct { __u32 prefixlen; ... data; }).
        let comp = composite(btf, id);
        match (v, comp) {
            (toml::Value::String(_), Some(c)) if c.len() == 2 => {
                let m = c.get(1).unwrap();
                let off = member_offset(&m.attr, "key")?;
                enc.encode(m.ty, v, off, "key")?;
            }
            _ => enc.encode(id, v, 0, "key")?,
        }
        if !st.explicit {
            let n = st.implied.unwrap_or(((t.size - 4) * 8) as u32);
            buf[..4].copy_from_slice(&n.to_ne_bytes());
        }
    } else {
        enc.encode(id, v, 0, label)?;
    }
    Ok(buf)
}

/// A key or value of a map without BTF: an integer of its size, or a list
/// of bytes.
fn encode_untyped(v: &toml::Value, buf: &mut [u8]) -> Result<(), String> {
    match v {
        toml::Value::Integer(n) if matches!(buf.len(), 1 | 2 | 4 | 8) => {
            let b = (*n as u64).to_ne_bytes();
            buf.copy_from_slice(&b[..buf.len()]);
            Ok(())
        }
        toml::Value::Array(a) if a.len() == buf.len() => {
            for (i, x) in a.iter().enumerate() {
                buf[i] = x
                    .as_integer()
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or("expected a list of bytes")?;
            }
            Ok(())
        }
        _ => Err(format!(
            "the map has no BTF type here: give an integer or a list of {} bytes",
            buf.len()
        )),
    }
}

fn composite<'b>(btf: &'b Btf<'_>, id: TypeId) -> Option<Composite<'b>> {
    let t = btf.type_by_id::<BtfType<'_>>(id)?.skip_mods_and_typedefs();
    Composite::try_from(t).ok()
}

fn member_offset(attr: &libbpf_rs::btf::types::MemberAttr, path: &str) -> Result<usize, String> {
    match attr {
        libbpf_rs::btf::types::MemberAttr::Normal { offset } if offset % 8 == 0 => {
            Ok(*offset as usize / 8)
        }
        _ => Err(format!("{path}: bit fields are not supported")),
    }
}

/// The size of type `id`.
fn size_of(btf: &Btf<'_>, id: TypeId) -> Result<usize, String> {
    let t = btf
        .type_by_id::<BtfType<'_>>(id)
        .ok_or("bad BTF type id")?
        .skip_mods_and_typedefs();
    if let Ok(a) = Array::try_from(t) {
        return Ok(a.capacity() * size_of(btf, a.ty())?);
    }
    if let Ok(i) = Int::try_from(t) {
        return Ok(i.size());
    }
    if let Ok(c) = Composite::try_from(t) {
        return Ok(c.size());
    }
    if let Ok(e) = Enum::try_from(t) {
        return Ok(e.size());
    }
    match t.kind() {
        BtfKind::Ptr => Ok(8),
        k => Err(format!("a {k:?} type is not supported in map entries")),
    }
}

/// Parses `ADDR` or `ADDR/N`.
fn parse_ip(s: &str) -> Option<(IpAddr, Option<u32>)> {
    let (a, n) = match s.split_once('/') {
        Some((a, n)) => (a, Some(n.parse::<u32>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = a.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if n.is_some_and(|n| n > max) {
        return None;
    }
    Some((ip, n))
}

struct Enc<'a, 'b, 'c> {
    btf: &'a Btf<'b>,
    lpm: Option<&'c mut Lpm>,
    buf: &'c mut [u8],
}

impl Enc<'_, '_, '_> {
    fn field(path: &str, name: &str) -> String {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    }

    fn encode(
        &mut self,
        id: TypeId,
        v: &toml::Value,
        off: usize,
        path: &str,
    ) -> Result<(), String> {
        let here = if path.is_empty() { "value" } else { path };
        let mut t = self
            .btf
            .type_by_id::<BtfType<'_>>(id)
            .ok_or("bad BTF type id")?;
        // Follow typedefs and qualifiers; __be16/__be32/__be64 are big-endian.
        let mut be = false;
        while matches!(
            t.kind(),
            BtfKind::Typedef
                | BtfKind::Const
                | BtfKind::Volatile
                | BtfKind::Restrict
                | BtfKind::TypeTag
        ) {
            if let Some(n) = t.name().and_then(|n| n.to_str()) {
                be |= n.starts_with("__be");
            }
            t = t.next_type().ok_or("bad BTF typedef")?;
        }
        if let Ok(i) = Int::try_from(t) {
            return self.int(i.size(), i.encoding, be, v, off, here);
        }
        if let Ok(e) = Enum::try_from(t) {
            let n = match v {
                toml::Value::String(s) => e
                    .iter()
                    .find(|m| m.name.and_then(|n| n.to_str()) == Some(s.as_str()))
                    .map(|m| m.value as i64)
                    .ok_or_else(|| {
                        let names: Vec<String> = e
                            .iter()
                            .filter_map(|m| m.name.map(|n| n.to_string_lossy().into_owned()))
                            .collect();
                        format!("{here}: '{s}' is none of {}", names.join(", "))
                    })?,
                _ => v
                    .as_integer()
                    .ok_or_else(|| format!("{here}: expected an enumerator name or a number"))?,
            };
            return self.put_int(n as u64, e.size(), false, off);
        }
        if let Ok(a) = Array::try_from(t) {
            return self.array(a, v, off, here);
        }
        if let Ok(c) = Composite::try_from(t) {
            return self.composite(c, v, off, path);
        }
        Err(format!("{here}: a {:?} field is not supported", t.kind()))
    }

    fn put_int(&mut self, n: u64, size: usize, be: bool, off: usize) -> Result<(), String> {
        let b = if be {
            n.to_be_bytes()[8 - size..].to_vec()
        } else {
            n.to_ne_bytes()[..size].to_vec()
        };
        self.buf[off..off + size].copy_from_slice(&b);
        Ok(())
    }

    /// An address (or CIDR) into `size` bytes at `off`: IPv4 into 4 bytes
    /// or the first 4 of 16, IPv6 into 16; network byte order.
    fn ip(&mut self, s: &str, size: usize, off: usize, here: &str) -> Result<bool, String> {
        let Some((ip, n)) = parse_ip(s) else {
            return Ok(false);
        };
        let mut octets = match ip {
            IpAddr::V4(a) if size == 4 || size == 16 => a.octets().to_vec(),
            IpAddr::V6(a) if size == 16 => a.octets().to_vec(),
            _ => return Err(format!("{here}: {s} does not fit a {size}-byte field")),
        };
        let bits = (octets.len() * 8) as u32;
        match (&mut self.lpm, n) {
            (Some(l), n) => {
                let n = n.unwrap_or(bits);
                for (i, o) in octets.iter_mut().enumerate() {
                    let keep = n.saturating_sub(i as u32 * 8).min(8);
                    *o &= !(0xffu16 >> keep) as u8;
                }
                // The prefix counts the key's bits after prefixlen.
                if off < 4 {
                    return Err(format!("{here}: an address in an LPM key's prefixlen"));
                }
                l.implied = Some((off as u32 - 4) * 8 + n);
            }
            (None, Some(_)) => {
                return Err(format!(
                    "{here}: a CIDR prefix ({s}) is only for the key of an LPM trie map"
                ))
            }
            (None, None) => {}
        }
        self.buf[off..off + octets.len()].copy_from_slice(&octets);
        Ok(true)
    }

    fn int(
        &mut self,
        size: usize,
        enc: IntEncoding,
        be: bool,
        v: &toml::Value,
        off: usize,
        here: &str,
    ) -> Result<(), String> {
        let n: i64 = match v {
            toml::Value::Integer(n) => *n,
            toml::Value::Boolean(b) => *b as i64,
            toml::Value::String(s) if size == 4 && self.ip(s, 4, off, here)? => return Ok(()),
            toml::Value::String(s) if size == 8 && s.starts_with('/') => {
                return self.put_int(cgroup_id(s)?, 8, false, off);
            }
            _ => {
                return Err(format!(
                    "{here}: expected a number{}, not {}",
                    match size {
                        4 => " or an IPv4 address",
                        8 => " or a cgroup path",
                        _ => "",
                    },
                    inline(v)
                ))
            }
        };
        let signed = matches!(enc, IntEncoding::Signed);
        let bits = size as u32 * 8;
        let fits = if signed {
            bits >= 64 || (n >= -(1i64 << (bits - 1)) && n < (1i64 << (bits - 1)))
        } else {
            n >= 0 && (bits >= 64 || n < (1i64 << bits))
        };
        if !fits {
            return Err(format!(
                "{here}: {n} does not fit {}{bits} bits",
                if signed { "signed " } else { "" }
            ));
        }
        self.put_int(n as u64, size, be, off)
    }

    fn array(
        &mut self,
        a: Array<'_>,
        v: &toml::Value,
        off: usize,
        here: &str,
    ) -> Result<(), String> {
        let esize = size_of(self.btf, a.ty())?;
        let total = esize * a.capacity();
        match v {
            toml::Value::Array(items) => {
                if items.len() > a.capacity() {
                    return Err(format!(
                        "{here}: {} items for an array of {}",
                        items.len(),
                        a.capacity()
                    ));
                }
                for (i, x) in items.iter().enumerate() {
                    self.encode(a.ty(), x, off + i * esize, &format!("{here}[{i}]"))?;
                }
                Ok(())
            }
            toml::Value::String(s) => {
                // char arrays (clang names them "char", signed) hold text;
                // other 4- and 16-byte arrays addresses.
                let elem = a.contained_type().skip_mods_and_typedefs();
                let is_char = Int::try_from(elem).is_ok_and(|i| {
                    i.size() == 1
                        && (matches!(i.encoding, IntEncoding::Char)
                            || i.name().is_some_and(|n| n == "char"))
                });
                if is_char && s.len() < total {
                    self.buf[off..off + s.len()].copy_from_slice(s.as_bytes());
                    return Ok(());
                }
                if !is_char && (total == 4 || total == 16) && self.ip(s, total, off, here)? {
                    return Ok(());
                }
                Err(format!(
                    "{here}: '{s}' is not {}",
                    if is_char {
                        "a string that fits (with its NUL)"
                    } else {
                        "an address for this field"
                    }
                ))
            }
            _ => Err(format!("{here}: expected a list{}", {
                if total == 4 || total == 16 {
                    " or an address"
                } else {
                    ""
                }
            })),
        }
    }

    fn composite(
        &mut self,
        c: Composite<'_>,
        v: &toml::Value,
        off: usize,
        path: &str,
    ) -> Result<(), String> {
        let here = if path.is_empty() { "value" } else { path };
        let names: Vec<String> = c
            .iter()
            .map(|m| {
                m.name
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            })
            .collect();
        let table = match v {
            toml::Value::Table(t) => t,
            // One member: the value is the member's.
            _ if c.len() == 1 => {
                let m = c.get(0).unwrap();
                let o = member_offset(&m.attr, here)?;
                return self.encode(m.ty, v, off + o, &Self::field(path, &names[0]));
            }
            _ => {
                return Err(format!(
                    "{here}: expected a table of the fields {}",
                    names.join(", ")
                ))
            }
        };
        if !c.is_struct && table.len() != 1 {
            return Err(format!(
                "{here}: a union takes exactly one of {}",
                names.join(", ")
            ));
        }
        for (k, x) in table {
            let i = names
                .iter()
                .position(|n| n == k)
                .ok_or_else(|| format!("{here}: no field '{k}'; fields: {}", names.join(", ")))?;
            let m = c.get(i).unwrap();
            let o = member_offset(&m.attr, here)?;
            // prefixlen of an LPM trie key, given by hand.
            if path == "key" && i == 0 && off == 0 {
                if let Some(l) = self.lpm.as_mut() {
                    l.explicit = true;
                }
            }
            self.encode(m.ty, x, off + o, &Self::field(path, k))?;
        }
        Ok(())
    }
}
