// SPDX-License-Identifier: GPL-2.0
//! Host tests of declarative policies: the file format, the typing of map
//! entries from a real BPF object's BTF (tests/fixtures/typed.bpf.c, built
//! with clang-19 when it is installed), the diff, and idempotence.

use checmatectl::apply::{diff_map, name_of_object, Change, Live};
use checmatectl::spec::{self, hex, MapSpec, PolicyFile, Val};
use checmatectl::state::EntryRec;
use checmatectl::{policy, uapi};
use libbpf_rs::MapType;
use std::path::PathBuf;
use std::process::Command;

/// The fixture object, compiled once per test binary; None without clang-19.
fn fixture() -> Option<PathBuf> {
    static OBJ: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    OBJ.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/typed.bpf.c");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("typed.bpf.o");
        let st = Command::new("clang-19")
            .args(["-O2", "-g", "-Wall", "-target", "bpf", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&out)
            .status();
        match st {
            Ok(s) if s.success() => Some(out),
            Ok(s) => panic!("clang-19 failed on the fixture: {s}"),
            Err(_) => {
                eprintln!("clang-19 not installed: BTF typing tests skipped");
                None
            }
        }
    })
    .clone()
}

fn policy_text(maps: &str) -> String {
    format!("name = \"t\"\nobject = \"typed.bpf.o\"\n{maps}")
}

/// Types `maps` (TOML) against the fixture.
fn typed(maps: &str) -> Option<Result<Vec<MapSpec>, String>> {
    let obj = fixture()?;
    let pf: PolicyFile = spec::parse(&policy_text(maps)).unwrap();
    let (open, progs) = policy::open(&obj).unwrap();
    assert_eq!(
        progs,
        [(
            "typed_connect".to_string(),
            uapi::CHECMATE_HOOK_SOCKET_CONNECT
        )]
    );
    Some(spec::type_maps(&open, &pf))
}

fn one(maps: &str) -> Option<MapSpec> {
    Some(typed(maps)?.unwrap().remove(0))
}

fn err(maps: &str) -> Option<String> {
    Some(typed(maps)?.unwrap_err())
}

#[test]
fn file_format() {
    let p = spec::parse(
        r#"
name = "egress"
object = "egress_allowlist.bpf.o"
mode = "log-only"
lock = true
freeze_maps = true
[[maps.egress_allow]]
key = { family = 2, port = 4242, addr = "127.0.0.1" }
value = 1
"#,
    )
    .unwrap();
    assert_eq!(p.name, "egress");
    assert_eq!(p.mode.as_deref(), Some("log-only"));
    assert!(p.lock && p.freeze_maps);
    assert_eq!(p.maps["egress_allow"].len(), 1);
    assert!(
        !p.monitor,
        "a policy enforces unless it says monitor = true"
    );
    let m = spec::parse("name = \"a\"\nobject = \"o\"\nmonitor = true").unwrap();
    assert!(m.monitor);
    let e = spec::parse("name = \"a\"\nobject = \"o\"\nmonitor = \"yes\"").unwrap_err();
    assert!(e.contains("monitor"), "{e}");
    assert_eq!(
        spec::show_entry(&p.maps["egress_allow"][0]),
        r#"{ addr = "127.0.0.1", family = 2, port = 4242 } = 1"#
    );
    // Every mode is named when one is wrong.
    let e = spec::parse("name = \"a\"\nobject = \"o\"\nmode = \"bogus\"").unwrap_err();
    assert!(
        e.contains("normal, append-only, read-only, disabled, log-only"),
        "{e}"
    );
    let e = spec::parse("name = \"a\"\nobject = \"o\"\nlokc = true").unwrap_err();
    assert!(e.contains("unknown field `lokc`"), "{e}");
    let e = spec::parse("name = \"a\"\nobject = \"o\"\nfreeze_maps = true").unwrap_err();
    assert!(e.contains("needs lock"), "{e}");
    for bad in ["../x", ".hidden", "a/b", "", "sp ace", "a.b", "x@new"] {
        let e = spec::parse(&format!("name = \"{bad}\"\nobject = \"o\"")).unwrap_err();
        assert!(e.contains("policy name"), "{bad}: {e}");
    }
    let e = spec::parse("name = \"a\"").unwrap_err();
    assert!(e.contains("missing field `object`"), "{e}");
    assert_eq!(
        name_of_object("x/egress_allowlist.bpf.o".as_ref()),
        "egress_allowlist"
    );
    assert_eq!(name_of_object("p.o".as_ref()), "p");
    assert_eq!(name_of_object("v1.2.bpf.o".as_ref()), "v1_2");
}

#[test]
fn object_relative_to_the_file() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("relpol");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.toml");
    std::fs::write(&f, "name = \"p\"\nobject = \"o.bpf.o\"\n").unwrap();
    assert_eq!(spec::read(&f).unwrap().object, dir.join("o.bpf.o"));
}

#[test]
fn struct_key_by_field_name() {
    let Some(s) = one(r#"
[[maps.flows]]
key = { family = 10, port = 4242, nport = 80, addr = "2001:db8::1", comm = "curl" }
value = "DENY"
[[maps.flows]]
key = { family = 2, addr = "10.0.0.1" }
value = 1
"#)
    else {
        return;
    };
    assert_eq!(s.map_type, MapType::Hash);
    assert_eq!(s.key_size, 40);
    let mut want = vec![0u8; 40];
    want[0..4].copy_from_slice(&10u32.to_ne_bytes());
    want[4..6].copy_from_slice(&4242u16.to_ne_bytes());
    want[6..8].copy_from_slice(&[0, 80]); // __be16
    want[8..24].copy_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    want[32..36].copy_from_slice(b"curl");
    let (v, text) = &s.entries[&want];
    assert_eq!(*v, Val::Bytes(2u32.to_ne_bytes().to_vec()));
    assert!(text.contains("comm = \"curl\""), "{text}");
    let mut want4 = vec![0u8; 40];
    want4[0..4].copy_from_slice(&2u32.to_ne_bytes());
    want4[8..12].copy_from_slice(&[10, 0, 0, 1]); // IPv4 in addr[0]
    assert_eq!(s.entries[&want4].0, Val::Bytes(1u32.to_ne_bytes().to_vec()));
}

#[test]
fn cgroup_paths() {
    let Some(_) = fixture() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&dir).unwrap());
    let d = dir.display();
    let s = one(&format!(
        "[[maps.cgroups]]\nkey = 0\nvalue = \"{d}\"\n[[maps.flows]]\nkey = {{ cgroup = \"{d}\" }}\nvalue = 1\n"
    ))
    .unwrap();
    assert_eq!(s.name, "cgroups");
    assert_eq!(
        s.entries[&vec![0, 0, 0, 0]].0,
        Val::Cgroup {
            path: d.to_string(),
            id: ino
        }
    );
    let flows = typed(&format!(
        "[[maps.flows]]\nkey = {{ cgroup = \"{d}\" }}\nvalue = 1\n"
    ))
    .unwrap()
    .unwrap();
    let k = flows[0].entries.keys().next().unwrap();
    assert_eq!(k[24..32], ino.to_ne_bytes());
    let e = err("[[maps.cgroups]]\nkey = 0\nvalue = \"/nonexistent/cg\"\n").unwrap();
    assert!(e.contains("cgroup '/nonexistent/cg'"), "{e}");
    let e = err("[[maps.cgroups]]\nkey = 0\nvalue = 3\n").unwrap();
    assert!(e.contains("cgroup path"), "{e}");
}

#[test]
fn lpm_cidr() {
    let Some(s) = one(r#"
[[maps.nets]]
key = "10.1.2.3/16"
value = -1
[[maps.nets]]
key = "192.168.0.1"
value = 7
[[maps.nets]]
key = { prefixlen = 8, data = [10, 0, 0, 0] }
value = 0
"#)
    else {
        return;
    };
    assert_eq!(s.map_type, MapType::LpmTrie);
    let k16: Vec<u8> = [16u32.to_ne_bytes().to_vec(), vec![10, 1, 0, 0]].concat();
    assert_eq!(
        s.entries[&k16].0,
        Val::Bytes((-1i32).to_ne_bytes().to_vec())
    );
    let k32: Vec<u8> = [32u32.to_ne_bytes().to_vec(), vec![192, 168, 0, 1]].concat();
    assert!(s.entries.contains_key(&k32));
    let k8: Vec<u8> = [8u32.to_ne_bytes().to_vec(), vec![10, 0, 0, 0]].concat();
    assert!(s.entries.contains_key(&k8));
    // A prefix after other fields counts their bits too.
    let s = one(r#"
[[maps.nets6]]
key = { port = 443, addr = "2001:db8::/32" }
value = 1
"#)
    .unwrap();
    let k = s.entries.keys().next().unwrap();
    assert_eq!(k[0..4], (16u32 + 32).to_ne_bytes());
    assert_eq!(k[4..6], [1, 187]);
    assert_eq!(k[6..10], [0x20, 0x01, 0x0d, 0xb8]);
    assert!(k[10..].iter().all(|&b| b == 0));
}

#[test]
fn typing_errors_say_what_to_write() {
    let Some(e) = err("[[maps.flows]]\nkey = { famliy = 2 }\nvalue = 1\n") else {
        return;
    };
    assert!(
        e.contains("no field 'famliy'; fields: family, port, nport, addr, cgroup, comm"),
        "{e}"
    );
    let e = err("[[maps.flows]]\nkey = { port = 70000 }\nvalue = 1\n").unwrap();
    assert!(e.contains("key.port: 70000 does not fit 16 bits"), "{e}");
    let e = err("[[maps.flows]]\nkey = { addr = \"10.0.0.0/8\" }\nvalue = 1\n").unwrap();
    assert!(e.contains("only for the key of an LPM trie"), "{e}");
    let e = err("[[maps.flows]]\nkey = { family = 2 }\nvalue = \"MAYBE\"\n").unwrap();
    assert!(e.contains("'MAYBE' is none of ALLOW, DENY"), "{e}");
    let e = err("[[maps.nope]]\nkey = 1\nvalue = 1\n").unwrap();
    assert!(e.contains("map 'nope' is not in the object"), "{e}");
    assert!(e.contains("flows, nets"), "{e}");
    let e =
        err("[[maps.limits]]\nkey = 1\nvalue = 1\n[[maps.limits]]\nkey = 1\nvalue = 2\n").unwrap();
    assert!(e.contains("entry 2: the same key is given twice"), "{e}");
    let e = err("[[maps.flows]]\nkey = { comm = \"much too long\" }\nvalue = 1\n").unwrap();
    assert!(e.contains("key.comm"), "{e}");
}

fn live_of(s: &MapSpec) -> Live {
    Live {
        entries: s
            .entries
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.repr()))
            .collect(),
        complete: s.map_type != MapType::Array,
    }
}

fn recs(s: &MapSpec) -> Vec<EntryRec> {
    s.entries
        .iter()
        .map(|(k, (v, t))| EntryRec {
            key: hex(k),
            value: v.repr(),
            text: t.clone(),
        })
        .collect()
}

#[test]
fn diff_and_idempotence() {
    let base = "[[maps.flows]]\nkey = { family = 2, port = 1 }\nvalue = 1\n\
                [[maps.flows]]\nkey = { family = 2, port = 2 }\nvalue = 1\n";
    let Some(a) = one(base) else { return };
    // The same file typed twice is the same, and against what it wrote, no change.
    let again = one(base).unwrap();
    assert_eq!(a.entries, again.entries);
    assert!(diff_map(&again, &live_of(&a), &recs(&a)).is_empty());
    // Into an empty map: every entry added.
    let d = diff_map(&a, &Live::default(), &[]);
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|c| matches!(c, Change::Add { .. })));
    // One value changed, one entry gone, one new.
    let b = one(
        "[[maps.flows]]\nkey = { family = 2, port = 1 }\nvalue = 2\n\
         [[maps.flows]]\nkey = { family = 2, port = 3 }\nvalue = 1\n",
    )
    .unwrap();
    let d = diff_map(&b, &live_of(&a), &recs(&a));
    let lines: Vec<String> = d.iter().map(|c| c.line("flows")).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("  ~ flows: { family = 2, port = 1 } = 2"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("  + flows: { family = 2, port = 3 }"),
        "{lines:?}"
    );
    assert_eq!(lines[2], "  - flows: { family = 2, port = 2 } = 1");
    // An entry added by hand to a hash map is removed: the file is the map.
    let mut live = live_of(&a);
    live.entries.insert(vec![9; 40], "01000000".into());
    let d = diff_map(&a, &live, &recs(&a));
    assert_eq!(
        d,
        [Change::Delete {
            key: vec![9; 40],
            text: format!("key {}", hex(&[9; 40]))
        }]
    );
}

#[test]
fn arrays_and_cgroup_arrays_diff_by_record() {
    let Some(a) =
        one("[[maps.limits]]\nkey = 1\nvalue = 100\n[[maps.limits]]\nkey = 2\nvalue = 5\n")
    else {
        return;
    };
    // Key 2 dropped from the file: zeroed; key 3 never managed: left.
    let b = one("[[maps.limits]]\nkey = 1\nvalue = 100\n").unwrap();
    let mut live = live_of(&a);
    live.entries
        .insert(3u32.to_ne_bytes().to_vec(), hex(&9u64.to_ne_bytes()));
    let d = diff_map(&b, &live, &recs(&a));
    assert_eq!(d.len(), 1);
    assert!(matches!(&d[0], Change::Delete { key, .. } if key == &2u32.to_ne_bytes()));
    // Already zero: nothing to do.
    live.entries
        .insert(2u32.to_ne_bytes().to_vec(), hex(&[0; 8]));
    assert!(diff_map(&b, &live, &recs(&a)).is_empty());
    // A cgroup array entry is compared by path and cgroup id.
    let dir = env!("CARGO_TARGET_TMPDIR");
    let c = one(&format!("[[maps.cgroups]]\nkey = 0\nvalue = \"{dir}\"\n")).unwrap();
    let rec = recs(&c);
    let live = Live {
        entries: [(vec![0; 4], rec[0].value.clone())].into(),
        complete: false,
    };
    assert!(diff_map(&c, &live, &rec).is_empty());
    let stale = Live {
        entries: [(vec![0; 4], "cgroup:/old#1".to_string())].into(),
        complete: false,
    };
    assert!(matches!(
        diff_map(&c, &stale, &rec)[..],
        [Change::Update { .. }]
    ));
}

/// samples/egress_allowlist.toml against the sample it names, built here.
#[test]
fn sample_policy_file() {
    let top = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("egress_allowlist.bpf.o");
    let multiarch = format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let built = Command::new("clang-19")
        .args(["-O2", "-g", "-target", "bpf", "-I"])
        .arg(top.join("kernel/include/uapi"))
        .args(["-idirafter", "/usr/include", "-idirafter", &multiarch, "-c"])
        .arg(top.join("samples/egress_allowlist.bpf.c"))
        .arg("-o")
        .arg(&out)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("clang-19 or libbpf's headers missing: sample policy file not checked");
        return;
    }
    let mut p = spec::read(&top.join("samples/egress_allowlist.toml")).unwrap();
    assert_eq!(p.name, "egress");
    assert!(p.object.ends_with("samples/egress_allowlist.bpf.o"));
    p.object = out.clone();
    let (open, progs) = policy::open(&out).unwrap();
    assert_eq!(progs.len(), 2);
    if !std::path::Path::new("/sys/fs/cgroup/container").exists() {
        let e = spec::type_maps(&open, &p).unwrap_err();
        assert!(e.contains("cgroup '/sys/fs/cgroup/container'"), "{e}");
        p.maps.remove("egress_cgroup");
    }
    let specs = spec::type_maps(&open, &p).unwrap();
    let allow = specs.iter().find(|s| s.name == "egress_allow").unwrap();
    let key = |port: u32, ip: [u8; 4]| {
        let mut k = [2u32.to_ne_bytes(), port.to_ne_bytes()].concat();
        k.extend(ip);
        k.extend([0; 12]);
        k
    };
    assert_eq!(allow.entries.len(), 2);
    assert_eq!(
        allow.entries[&key(4242, [127, 0, 0, 1])].0,
        Val::Bytes(vec![1])
    );
    assert_eq!(
        allow.entries[&key(0, [10, 0, 0, 53])].0,
        Val::Bytes(vec![1])
    );
}
