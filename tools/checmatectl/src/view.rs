// SPDX-License-Identifier: GPL-2.0
//! Reading a running policy's maps back as typed JSON: `map lookup` and
//! `map dump`. Keys and values are decoded from the BTF the kernel holds for
//! the map (the object's, loaded with it), in the shapes a policy file
//! writes them: structs as objects by field name, enums by enumerator name,
//! `__be16`/`__be32` in host order, address fields as addresses, an LPM trie
//! key of a prefix length and an address as `ADDR/N`, char arrays as text.
//! What decodes can be given back: a key `map lookup` prints is a key it
//! takes.

use crate::error::{Error, Op};
use crate::spec::Types;
use libbpf_rs::btf::types::{Array, Composite, Enum, Int, IntEncoding, MemberAttr};
use libbpf_rs::btf::{Btf, BtfKind, BtfType, HasSize, TypeId};
use libbpf_rs::{MapCore, MapFlags, MapHandle, MapType};
use serde_json::{json, Value};
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};

/// `AF_INET`, `AF_INET6`: a `family` field beside an address says which.
const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;

/// The map a command names: a bpffs path, or `POLICY/MAP` for a map of a
/// policy that `apply` or `load` recorded (its pin `map_MAP` in the
/// policy's directory).
pub fn resolve(arg: &str) -> Result<PathBuf, Error> {
    let p = PathBuf::from(arg);
    if p.exists() {
        return Ok(p);
    }
    if let Some((policy, map)) = arg.split_once('/') {
        if !policy.is_empty() && !map.is_empty() && !map.contains('/') {
            let pin = crate::state::dir(policy).join(format!("map_{map}"));
            if pin.exists() {
                return Ok(pin);
            }
            if crate::spec::check_name(policy).is_ok() && crate::state::dir(policy).exists() {
                return Err(Error::not_found(format!(
                    "policy '{policy}' has no map '{map}' ({} not found)",
                    pin.display()
                )));
            }
        }
    }
    Err(Error::not_found(format!(
        "no pinned map '{arg}': give a bpffs path, or POLICY/MAP of a policy `checmatectl list` shows"
    )))
}

/// A pinned map with the BTF of its key and value, as the kernel holds it.
pub struct TypedMap {
    pub map: MapHandle,
    pub btf: Option<Btf<'static>>,
    pub key_id: u32,
    pub value_id: u32,
}

impl TypedMap {
    pub fn open(pin: &Path) -> Result<Self, Error> {
        let map = MapHandle::from_pinned_path(pin).map_err(|e| {
            Error::os(
                Op::Map,
                format!("open pinned map {}", pin.display()),
                std::io::Error::from_raw_os_error(crate::policy::errno_of(&e)),
            )
        })?;
        let info = map
            .info()
            .map_err(|e| Error::msg(Op::Map, format!("{}: map info: {e}", pin.display())))?
            .info;
        let btf = if info.btf_id == 0 {
            None
        } else {
            Some(kernel_btf(info.btf_id).map_err(|e| {
                Error::msg(
                    Op::Map,
                    format!("{}: BTF {}: {e}", pin.display(), info.btf_id),
                )
            })?)
        };
        Ok(TypedMap {
            map,
            btf,
            key_id: info.btf_key_type_id,
            value_id: info.btf_value_type_id,
        })
    }

    pub fn key_types(&self) -> Types<'_, 'static> {
        Types {
            btf: self.btf.as_ref(),
            id: self.key_id,
            size: self.map.key_size() as usize,
        }
    }

    pub fn value_types(&self) -> Types<'_, 'static> {
        Types {
            btf: self.btf.as_ref(),
            id: self.value_id,
            size: self.map.value_size() as usize,
        }
    }

    fn lpm(&self) -> bool {
        self.map.map_type() == MapType::LpmTrie
    }

    /// The value of `key`, decoded (a list, one per CPU, for per-CPU maps);
    /// None: no such entry.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Value>, Error> {
        let err = |e: libbpf_rs::Error| {
            Error::os(
                Op::Map,
                "lookup",
                std::io::Error::from_raw_os_error(crate::policy::errno_of(&e)),
            )
        };
        let vt = self.value_types();
        if self.map.map_type().is_percpu() {
            let v = self.map.lookup_percpu(key, MapFlags::ANY).map_err(err)?;
            return Ok(v.map(|cpus| Value::Array(cpus.iter().map(|b| decode(vt, b)).collect())));
        }
        let v = self.map.lookup(key, MapFlags::ANY).map_err(err)?;
        Ok(v.map(|b| {
            if is_id_map(self.map.map_type()) && b.len() == 4 {
                // Program and map arrays give back the id of what they hold.
                json!({ "id": u32::from_ne_bytes(b[..4].try_into().unwrap()) })
            } else {
                decode(vt, &b)
            }
        }))
    }

    /// Every entry, as `{"key": ..., "value": ...}`.
    pub fn dump(&self) -> Result<Vec<Value>, Error> {
        if self.map.map_type() == MapType::CgroupArray {
            return Err(Error::msg(
                Op::Map,
                "the kernel does not give a cgroup array's entries back (`checmatectl list \
                 --json` shows what a policy file set)",
            ));
        }
        let kt = self.key_types();
        let mut out = Vec::new();
        for k in self.map.keys() {
            // An entry deleted since get_next_key gave its key is skipped.
            if let Some(v) = self.lookup(&k)? {
                out.push(json!({ "key": decode_key(kt, &k, self.lpm()), "value": v }));
            }
        }
        Ok(out)
    }

    /// The bytes of a key given on the command line: typed fields
    /// (`u32:80,ip4:10.0.0.1`, as `map update` takes them), or JSON typed
    /// by the key's BTF as a policy file's TOML is (`{"port": 80}`, `5`,
    /// `"10.0.0.0/8"`; a bare word is taken as a JSON string).
    pub fn key_bytes(&self, arg: &str) -> Result<Vec<u8>, Error> {
        parse_key(self.key_types(), arg, self.lpm())
    }

    /// The bytes of a value given on the command line, as `key_bytes`
    /// takes a key; a cgroup array's value is `cgroup:PATH`.
    pub fn value_bytes(&self, arg: &str, keep: &mut Vec<std::fs::File>) -> Result<Vec<u8>, Error> {
        parse_value(self.value_types(), arg, keep)
    }
}

/// Program arrays and maps of maps: a lookup from user space gives an id.
fn is_id_map(t: MapType) -> bool {
    matches!(
        t,
        MapType::ProgArray | MapType::ArrayOfMaps | MapType::HashOfMaps
    )
}

/// Whether `arg` is comma-separated typed fields (`u32:5,ip4:10.0.0.1`).
pub fn looks_typed(arg: &str) -> bool {
    arg.split(',').all(|f| {
        f.split_once(':').is_some_and(|(k, _)| {
            [
                "u8", "u16", "u32", "u64", "be16", "be32", "ip4", "ip6", "hex", "cgroup",
            ]
            .contains(&k)
        })
    })
}

/// The bytes of `arg`, a key (`value` false) or value of type `t`: typed
/// fields, or JSON typed by BTF (a bare word is a JSON string). Files a
/// `cgroup:PATH` field opens are kept in `keep`.
fn parse_arg(
    t: Types<'_, '_>,
    arg: &str,
    lpm: bool,
    value: bool,
    keep: &mut Vec<std::fs::File>,
) -> Result<Vec<u8>, Error> {
    let what = if value { "value" } else { "key" };
    let bytes = if looks_typed(arg) {
        crate::policy::parse_bytes(arg, keep).map_err(Error::usage)?
    } else {
        let j: Value = serde_json::from_str(arg).unwrap_or_else(|_| Value::String(arg.to_string()));
        let v = json_to_toml(&j).map_err(|e| Error::usage(format!("{what} {arg}: {e}")))?;
        if value {
            crate::spec::encode_value(t, &v).map_err(Error::usage)?
        } else {
            crate::spec::encode_key(t, &v, lpm).map_err(Error::usage)?
        }
    };
    if bytes.len() != t.size {
        return Err(Error::usage(format!(
            "{what} is {} bytes, the map's {what}s are {}",
            bytes.len(),
            t.size
        )));
    }
    Ok(bytes)
}

/// See `TypedMap::key_bytes`.
pub fn parse_key(t: Types<'_, '_>, arg: &str, lpm: bool) -> Result<Vec<u8>, Error> {
    parse_arg(t, arg, lpm, false, &mut Vec::new())
}

/// A value given on the command line, as `parse_key` takes a key.
pub fn parse_value(
    t: Types<'_, '_>,
    arg: &str,
    keep: &mut Vec<std::fs::File>,
) -> Result<Vec<u8>, Error> {
    parse_arg(t, arg, false, true, keep)
}

/// JSON as the TOML value the policy file encoder takes.
pub fn json_to_toml(v: &Value) -> Result<toml::Value, String> {
    Ok(match v {
        Value::Null => return Err("null is no key".into()),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => toml::Value::Integer(
            n.as_i64()
                .or_else(|| n.as_u64().map(|u| u as i64))
                .ok_or_else(|| format!("{n}: an integer, please"))?,
        ),
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => {
            toml::Value::Array(a.iter().map(json_to_toml).collect::<Result<_, _>>()?)
        }
        Value::Object(o) => toml::Value::Table(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), json_to_toml(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// The BTF object `id` the kernel holds. libbpf-rs reads BTF from a file:
/// the raw BTF goes through a memfd.
pub fn kernel_btf(id: u32) -> Result<Btf<'static>, String> {
    // SAFETY: a plain call; the result is checked before use.
    let ptr = unsafe { libbpf_sys::btf__load_from_kernel_by_id(id) };
    if ptr.is_null() || (ptr as isize) < 0 && (ptr as isize) > -4096 {
        let errno = if ptr.is_null() {
            std::io::Error::last_os_error()
        } else {
            std::io::Error::from_raw_os_error(-(ptr as isize) as i32)
        };
        return Err(errno.to_string());
    }
    let mut size: u32 = 0;
    // SAFETY: `ptr` is a valid btf; the raw data lives as long as it does
    // and is copied before btf__free.
    let raw = unsafe {
        let data = libbpf_sys::btf__raw_data(ptr, &mut size);
        let v = if data.is_null() {
            None
        } else {
            Some(std::slice::from_raw_parts(data.cast::<u8>(), size as usize).to_vec())
        };
        libbpf_sys::btf__free(ptr);
        v
    };
    btf_from_raw(&raw.ok_or("no raw BTF data")?)
}

/// A `Btf` of raw BTF bytes (as the kernel gives them).
pub fn btf_from_raw(raw: &[u8]) -> Result<Btf<'static>, String> {
    // SAFETY: a plain call with a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"checmate-btf".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(format!("memfd: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` was just created and is owned by nobody else.
    let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
    f.write_all(raw).map_err(|e| format!("memfd: {e}"))?;
    Btf::from_path(format!("/proc/self/fd/{}", f.as_raw_fd())).map_err(|e| e.to_string())
}

/// A key of a map: see `decode`; an LPM trie key of a prefix length and an
/// address is `ADDR/N`.
pub fn decode_key(t: Types<'_, '_>, b: &[u8], lpm: bool) -> Value {
    if lpm {
        if let Some(v) = t
            .btf
            .filter(|_| t.id != 0)
            .and_then(|btf| lpm_cidr(btf, TypeId::from(t.id), b))
        {
            return v;
        }
    }
    decode(t, b)
}

/// `{prefixlen, <4- or 16-byte member>}` as `ADDR/N`.
fn lpm_cidr(btf: &Btf<'_>, id: TypeId, b: &[u8]) -> Option<Value> {
    let t = btf.type_by_id::<BtfType<'_>>(id)?.skip_mods_and_typedefs();
    let c = Composite::try_from(t).ok()?;
    if c.len() != 2 || b.len() < 4 {
        return None;
    }
    let m = c.get(1)?;
    let MemberAttr::Normal { offset } = m.attr else {
        return None;
    };
    let off = offset as usize / 8;
    let size = b.len() - off;
    if off != 4 || !(size == 4 || size == 16) {
        return None;
    }
    let n = u32::from_ne_bytes(b[..4].try_into().ok()?);
    let family = if size == 4 { AF_INET } else { AF_INET6 };
    Some(Value::String(format!(
        "{}/{n}",
        addr_text(&b[off..], Some(family))?
    )))
}

/// Bytes of a key or value as JSON, by the BTF type `t.id` (without BTF: a
/// number for 1, 2, 4 or 8 bytes, else a list of bytes, as a policy file
/// writes a key or value of a map without BTF).
pub fn decode(t: Types<'_, '_>, b: &[u8]) -> Value {
    match t.btf.filter(|_| t.id != 0) {
        Some(btf) => Dec { btf }.value(TypeId::from(t.id), b, "", None),
        None => untyped(b),
    }
}

fn untyped(b: &[u8]) -> Value {
    match b.len() {
        1 | 2 | 4 | 8 => {
            let mut n = [0u8; 8];
            n[..b.len()].copy_from_slice(b);
            json!(u64::from_ne_bytes(n))
        }
        _ => json!(b),
    }
}

/// Whether a field of this name holds an address.
fn addr_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("addr")
        || matches!(n.as_str(), "ip" | "ip4" | "ip6" | "ipv4" | "ipv6")
        || n.ends_with("_ip")
        || n.starts_with("ip_")
}

/// An address of 4 or 16 bytes; an IPv4 address may sit in the first 4 of
/// 16 when a `family` field beside it says AF_INET.
fn addr_text(b: &[u8], family: Option<u64>) -> Option<String> {
    match b.len() {
        4 => Some(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?).to_string()),
        16 => {
            let v4 = family == Some(AF_INET);
            Some(if v4 {
                Ipv4Addr::from(<[u8; 4]>::try_from(&b[..4]).ok()?).to_string()
            } else {
                Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?).to_string()
            })
        }
        _ => None,
    }
}

fn hex(b: &[u8]) -> Value {
    Value::String(crate::spec::hex(b))
}

struct Dec<'a, 'b> {
    btf: &'a Btf<'b>,
}

impl Dec<'_, '_> {
    /// The value of type `id` in `b` (exactly its bytes); `name` is the
    /// field's, `family` the value of a `family` field beside it.
    fn value(&self, id: TypeId, b: &[u8], name: &str, family: Option<u64>) -> Value {
        let Some(mut t) = self.btf.type_by_id::<BtfType<'_>>(id) else {
            return hex(b);
        };
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
            match t.next_type() {
                Some(n) => t = n,
                None => return hex(b),
            }
        }
        if let Ok(i) = Int::try_from(t) {
            if b.len() == 4 && !be && addr_like(name) {
                if let Some(a) = addr_text(b, Some(AF_INET)) {
                    return Value::String(a);
                }
            }
            return int(b, matches!(i.encoding, IntEncoding::Signed), be, i.encoding);
        }
        if let Ok(e) = Enum::try_from(t) {
            let n = match int(b, true, false, IntEncoding::Signed) {
                Value::Number(n) => n.as_i64().unwrap_or(0),
                _ => 0,
            };
            let named = e.iter().find(|m| {
                m.value as i64 == n || (b.len() == 4 && m.value as u32 as i64 == n & 0xffff_ffff)
            });
            return match named.and_then(|m| m.name).and_then(|n| n.to_str()) {
                Some(s) => Value::String(s.to_string()),
                None => int(b, false, false, IntEncoding::None),
            };
        }
        if t.kind() == BtfKind::Enum64 {
            return int(b, false, false, IntEncoding::None);
        }
        if let Ok(a) = Array::try_from(t) {
            return self.array(a, b, name, family);
        }
        if let Ok(c) = Composite::try_from(t) {
            return self.composite(c, b);
        }
        if t.kind() == BtfKind::Ptr && b.len() == 8 {
            return int(b, false, false, IntEncoding::None);
        }
        hex(b)
    }

    fn array(&self, a: Array<'_>, b: &[u8], name: &str, family: Option<u64>) -> Value {
        let n = a.capacity();
        if n == 0 || !b.len().is_multiple_of(n) {
            return hex(b);
        }
        let esize = b.len() / n;
        let elem = a.contained_type().skip_mods_and_typedefs();
        let is_char = Int::try_from(elem).is_ok_and(|i| {
            i.size() == 1
                && (matches!(i.encoding, IntEncoding::Char)
                    || i.name().is_some_and(|n| n == "char"))
        });
        if is_char {
            let text = b.split(|&c| c == 0).next().unwrap_or_default();
            let rest_zero = b[text.len()..].iter().all(|&c| c == 0);
            if text.len() < b.len() && rest_zero {
                if let Ok(s) = std::str::from_utf8(text) {
                    if !s.chars().any(char::is_control) {
                        return Value::String(s.to_string());
                    }
                }
            }
        }
        if (b.len() == 4 || b.len() == 16) && addr_like(name) {
            if let Some(s) = addr_text(b, family) {
                return Value::String(s);
            }
        }
        Value::Array(
            b.chunks(esize)
                .enumerate()
                .map(|(i, c)| self.value(a.ty(), c, &format!("{name}[{i}]"), None))
                .collect(),
        )
    }

    fn composite(&self, c: Composite<'_>, b: &[u8]) -> Value {
        let mut out = serde_json::Map::new();
        // A `family` member says what its address members hold.
        let family = c.iter().find_map(|m| {
            let name = m.name?.to_str()?;
            let MemberAttr::Normal { offset } = m.attr else {
                return None;
            };
            let off = offset as usize / 8;
            let size = crate::spec::type_size(self.btf, m.ty).ok()?;
            if name != "family" || off + size > b.len() || size > 8 {
                return None;
            }
            let mut n = [0u8; 8];
            n[..size].copy_from_slice(&b[off..off + size]);
            Some(u64::from_ne_bytes(n))
        });
        for m in c.iter() {
            let name = m
                .name
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let v = match m.attr {
                MemberAttr::Normal { offset } => {
                    let off = offset as usize / 8;
                    let Ok(size) = crate::spec::type_size(self.btf, m.ty) else {
                        continue;
                    };
                    if off + size > b.len() {
                        continue;
                    }
                    self.value(m.ty, &b[off..off + size], &name, family)
                }
                MemberAttr::BitField { size, offset } => bits(b, offset, size),
            };
            match v {
                // An anonymous struct or union: its members are the parent's.
                Value::Object(inner) if name.is_empty() => out.extend(inner),
                v => {
                    out.insert(name, v);
                }
            }
        }
        Value::Object(out)
    }
}

/// A bit field of `size` bits at bit `offset` (little-endian layout).
fn bits(b: &[u8], offset: u32, size: u8) -> Value {
    let (first, shift) = (offset as usize / 8, offset % 8);
    let mut w = [0u8; 16];
    let n = (b.len().saturating_sub(first)).min(16);
    w[..n].copy_from_slice(&b[first..first + n]);
    let v = u128::from_le_bytes(w) >> shift;
    let mask = if size >= 128 {
        u128::MAX
    } else {
        (1u128 << size) - 1
    };
    json!((v & mask) as u64)
}

/// An integer of 1, 2, 4, 8 bytes (16: hex).
fn int(b: &[u8], signed: bool, be: bool, enc: IntEncoding) -> Value {
    if matches!(enc, IntEncoding::Bool) && b.len() == 1 {
        return Value::Bool(b[0] != 0);
    }
    if !matches!(b.len(), 1 | 2 | 4 | 8) {
        return hex(b);
    }
    let mut n = [0u8; 8];
    let u = if be {
        n[8 - b.len()..].copy_from_slice(b);
        u64::from_be_bytes(n)
    } else {
        n[..b.len()].copy_from_slice(b);
        u64::from_ne_bytes(n)
    };
    if signed {
        let bits = b.len() as u32 * 8;
        let s = ((u << (64 - bits)) as i64) >> (64 - bits);
        json!(s)
    } else {
        json!(u)
    }
}
