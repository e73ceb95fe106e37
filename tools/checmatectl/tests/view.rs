// SPDX-License-Identifier: GPL-2.0
//! Host tests of `map lookup` and `map dump`: keys and values decoded from
//! a real object's BTF (tests/fixtures/typed.bpf.c, built with clang-19 when
//! it is installed) print as a policy file writes them, and what decodes
//! encodes back to the same bytes.

use checmatectl::spec::{self, PolicyFile, Types};
use checmatectl::{policy, view};
use libbpf_rs::btf::Btf;
use libbpf_rs::MapType;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

fn fixture() -> Option<PathBuf> {
    static OBJ: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    OBJ.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/typed.bpf.c");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("typed-view.bpf.o");
        match Command::new("clang-19")
            .args(["-O2", "-g", "-Wall", "-target", "bpf", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&out)
            .status()
        {
            Ok(s) if s.success() => Some(out),
            Ok(s) => panic!("clang-19 failed on the fixture: {s}"),
            Err(_) => {
                eprintln!("clang-19 not installed: BTF decoding tests skipped");
                None
            }
        }
    })
    .clone()
}

/// For each entry of `maps` (TOML, a policy file's): the map type, the
/// key and value decoded from the bytes the policy file's typing gives, and
/// whether the decoded key encodes back to the same bytes.
fn decoded(maps: &str, btf_of: impl Fn(&Btf<'_>) -> Btf<'static>) -> Option<Vec<(Value, Value)>> {
    let obj = fixture()?;
    let text = format!("name = \"t\"\nobject = \"typed.bpf.o\"\n{maps}");
    let pf: PolicyFile = spec::parse(&text).unwrap();
    let (open, _) = policy::open(&obj).unwrap();
    let specs = spec::type_maps(&open, &pf).unwrap();
    let obtf = spec::object_btf(&open).unwrap().unwrap();
    let btf = btf_of(&obtf);
    let mut out = Vec::new();
    for s in &specs {
        let m = open
            .maps()
            .find(|m| m.name().to_str() == Some(s.name.as_str()))
            .unwrap();
        let (kid, vid, ks, vs) = spec::map_type_ids(&m);
        let kt = Types {
            btf: Some(&btf),
            id: kid,
            size: ks as usize,
        };
        let vt = Types {
            btf: Some(&btf),
            id: vid,
            size: vs as usize,
        };
        let lpm = s.map_type == MapType::LpmTrie;
        for (key, (val, _)) in &s.entries {
            let spec::Val::Bytes(vb) = val else {
                panic!("cgroup value")
            };
            let k = view::decode_key(kt, key, lpm);
            let v = view::decode(vt, vb);
            // Round trip: the printed key is a key `map lookup` takes.
            let again = view::parse_key(kt, &k.to_string(), lpm).unwrap();
            assert_eq!(&again, key, "{k}");
            let vv = spec::encode_value(vt, &view::json_to_toml(&v).unwrap()).unwrap();
            assert_eq!(&vv, vb, "{v}");
            out.push((k, v));
        }
    }
    Some(out)
}

/// The object's BTF as the kernel gives it back: raw bytes, through the
/// same memfd path `kernel_btf` takes.
fn via_raw(_: &Btf<'_>) -> Btf<'static> {
    let obj = fixture().unwrap();
    // The raw BTF section of the object, as a kernel's BTF_INFO_BY_ID gives
    // it: extracted with llvm-objcopy when it is there.
    let raw = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("typed.btf");
    let st = Command::new("llvm-objcopy-19")
        .arg(format!("--dump-section=.BTF={}", raw.display()))
        .arg(&obj)
        .arg(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("typed-copy.o"))
        .status();
    match st {
        Ok(s) if s.success() => view::btf_from_raw(&std::fs::read(&raw).unwrap()).unwrap(),
        _ => {
            eprintln!("llvm-objcopy-19 not installed: raw BTF path not tested");
            Btf::from_path(&obj).unwrap()
        }
    }
}

fn own(_: &Btf<'_>) -> Btf<'static> {
    Btf::from_path(fixture().unwrap()).unwrap()
}

#[test]
fn struct_keys_and_enum_values() {
    for btf_of in [own as fn(&Btf<'_>) -> Btf<'static>, via_raw] {
        let Some(d) = decoded(
            r#"
[[maps.flows]]
key = { family = 2, port = 8080, nport = 443, addr = "10.1.2.3", cgroup = 77, comm = "curl" }
value = "DENY"
[[maps.flows]]
key = { family = 10, port = 1, nport = 53, addr = "fd00::1" }
value = 1
"#,
            btf_of,
        ) else {
            return;
        };
        let keys: Vec<&Value> = d.iter().map(|e| &e.0).collect();
        assert!(keys.contains(&&json!({
            "family": 2, "port": 8080, "nport": 443, "addr": "10.1.2.3",
            "cgroup": 77, "comm": "curl"
        })));
        assert!(keys.contains(&&json!({
            "family": 10, "port": 1, "nport": 53, "addr": "fd00::1",
            "cgroup": 0, "comm": ""
        })));
        let vals: Vec<&Value> = d.iter().map(|e| &e.1).collect();
        assert!(vals.contains(&&json!("DENY")), "{vals:?}");
        assert!(vals.contains(&&json!("ALLOW")), "{vals:?}");
    }
}

#[test]
fn lpm_keys_print_as_cidr() {
    let Some(d) = decoded(
        r#"
[[maps.nets]]
key = "10.0.0.0/8"
value = -3
[[maps.nets]]
key = "192.168.1.7"
value = 5
[[maps.nets6]]
key = { port = 443, addr = "2001:db8::/32" }
value = 1
[[maps.limits]]
key = 2
value = 1000000
"#,
        own,
    ) else {
        return;
    };
    assert!(d.contains(&(json!("10.0.0.0/8"), json!(-3))), "{d:?}");
    assert!(d.contains(&(json!("192.168.1.7/32"), json!(5))), "{d:?}");
    assert!(d.contains(&(json!(2), json!(1000000))), "{d:?}");
    // Not a two-member key: the prefix length stays a field.
    let k6 = &d.iter().find(|e| e.0.get("port").is_some()).unwrap().0;
    assert_eq!(k6["port"], 443);
    assert_eq!(k6["addr"], "2001:db8::");
    assert_eq!(k6["prefixlen"], 16 + 32);
}

#[test]
fn keys_from_the_command_line() {
    let Some(obj) = fixture() else { return };
    let (open, _) = policy::open(&obj).unwrap();
    let btf = spec::object_btf(&open).unwrap().unwrap();
    let m = open
        .maps()
        .find(|m| m.name().to_str() == Some("limits"))
        .unwrap();
    let (kid, _, ks, _) = spec::map_type_ids(&m);
    let kt = Types {
        btf: Some(&btf),
        id: kid,
        size: ks as usize,
    };
    // JSON, typed fields as `map update` takes them: the same key.
    assert_eq!(view::parse_key(kt, "3", false).unwrap(), 3u32.to_ne_bytes());
    assert_eq!(
        view::parse_key(kt, "u32:3", false).unwrap(),
        3u32.to_ne_bytes()
    );
    // Wrong size or type: a usage error (exit status 2).
    let e = view::parse_key(kt, "u16:3", false).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    let e = view::parse_key(kt, "{\"nope\": 1}", false).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    let m = open
        .maps()
        .find(|m| m.name().to_str() == Some("nets"))
        .unwrap();
    let (kid, _, ks, _) = spec::map_type_ids(&m);
    let kt = Types {
        btf: Some(&btf),
        id: kid,
        size: ks as usize,
    };
    // Values as `map update` takes them: an enum by name, or typed fields.
    let m = open
        .maps()
        .find(|m| m.name().to_str() == Some("flows"))
        .unwrap();
    let (_, vid, _, vs) = spec::map_type_ids(&m);
    let vt = Types {
        btf: Some(&btf),
        id: vid,
        size: vs as usize,
    };
    let mut keep = Vec::new();
    let deny = 2u32.to_ne_bytes();
    assert_eq!(view::parse_value(vt, "DENY", &mut keep).unwrap(), deny);
    assert_eq!(view::parse_value(vt, "\"DENY\"", &mut keep).unwrap(), deny);
    assert_eq!(view::parse_value(vt, "u32:2", &mut keep).unwrap(), deny);
    let e = view::parse_value(vt, "MAYBE", &mut keep).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("ALLOW"), "{e}");
    assert!(view::looks_typed("u32:1,cgroup:/sys/fs/cgroup"));
    assert!(!view::looks_typed("{\"port\": 1}"));
    assert!(!view::looks_typed("10.0.0.0/8"));
    // A bare CIDR is a string, quoted or not.
    let a = view::parse_key(kt, "10.0.0.0/8", true).unwrap();
    assert_eq!(a, view::parse_key(kt, "\"10.0.0.0/8\"", true).unwrap());
    assert_eq!(a, [8, 0, 0, 0, 10, 0, 0, 0]);
}

#[test]
fn without_btf() {
    let t = Types {
        btf: None,
        id: 0,
        size: 4,
    };
    assert_eq!(view::decode(t, &7u32.to_ne_bytes()), json!(7));
    let t = Types {
        btf: None,
        id: 0,
        size: 3,
    };
    assert_eq!(view::decode(t, &[1, 2, 3]), json!([1, 2, 3]));
    assert_eq!(view::parse_key(t, "[1, 2, 3]", false).unwrap(), [1, 2, 3]);
}

#[test]
fn json_as_toml() {
    let v = view::json_to_toml(&json!({"a": [1, "x", true]})).unwrap();
    assert_eq!(v.to_string().replace(' ', ""), "{a=[1,\"x\",true]}");
    assert!(view::json_to_toml(&json!(null)).is_err());
    assert!(view::json_to_toml(&json!(1.5)).is_err());
}
