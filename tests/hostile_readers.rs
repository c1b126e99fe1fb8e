//! Every reader of untrusted files (IDX, `.npy`, RON, NIR) survives a seeded mutation corpus —
//! truncations, byte flips and header fields overwritten with huge values — without a panic and
//! with bounded allocation: the peak heap of one read stays under 64 MiB + 64 × the file size,
//! measured by a counting global allocator; every error is one line. Each corpus runs in a
//! few seconds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        CURRENT.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// One corpus at a time, so the peak measured is that of one read.
static SERIAL: Mutex<()> = Mutex::new(());

/// A reader under test: Ok or a one-line message.
type Reader<'a> = dyn Fn(&Path) -> Result<(), String> + 'a;

/// Outcome counts of one corpus.
#[derive(Debug, Default)]
struct Tally {
    tried: usize,
    ok: usize,
    err: usize,
    worst_ratio_mib: f64,
}

/// Run `read` on `bytes` written to `path`: no panic, peak heap bounded; returns Ok/Err.
fn probe<T, E: std::fmt::Display>(
    tally: &mut Tally,
    path: &Path,
    bytes: &[u8],
    read: &dyn Fn(&Path) -> Result<T, E>,
) {
    std::fs::write(path, bytes).unwrap();
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = catch_unwind(AssertUnwindSafe(|| {
        read(path).map(|_| ()).map_err(|e| e.to_string())
    }));
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let bound = (64 << 20) + 64 * bytes.len();
    assert!(
        peak <= bound,
        "{}: a {}-byte input made the reader allocate {peak} bytes (bound {bound})",
        path.display(),
        bytes.len()
    );
    tally.worst_ratio_mib = tally.worst_ratio_mib.max(peak as f64 / (1 << 20) as f64);
    tally.tried += 1;
    match r {
        Err(_) => panic!(
            "{}: the reader panicked on a mutated input of {} bytes",
            path.display(),
            bytes.len()
        ),
        Ok(Ok(())) => tally.ok += 1,
        Ok(Err(msg)) => {
            assert!(!msg.is_empty() && !msg.contains('\n'), "one line: {msg}");
            tally.err += 1;
        }
    }
}

/// Seeded mutations of `seed`: truncations, byte flips, and 4- or 8-byte fields overwritten
/// with huge values (in the first `header` bytes most of the time).
fn mutants(seed: &[u8], header: usize, count: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<u8>> {
    const HUGE: [u64; 6] = [
        u64::MAX,
        u32::MAX as u64,
        0x7fff_ffff,
        100_000,
        1 << 40,
        0x8000_0000_0000_0000,
    ];
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let mut b = seed.to_vec();
        match k % 4 {
            0 => b.truncate(rng.random_range(0..seed.len())),
            1 => {
                for _ in 0..rng.random_range(1..5) {
                    let i = rng.random_range(0..b.len());
                    b[i] = rng.random();
                }
            }
            2 | 3 => {
                let v = HUGE[rng.random_range(0..HUGE.len())];
                let width = if k % 4 == 2 { 4 } else { 8 };
                let span = if rng.random_bool(0.8) {
                    header.min(b.len())
                } else {
                    b.len()
                };
                if span > width {
                    let at = rng.random_range(0..span - width);
                    let bytes = if rng.random_bool(0.5) {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    };
                    b[at..at + width].copy_from_slice(&bytes[8 - width..]);
                }
            }
            _ => unreachable!(),
        }
        out.push(b);
    }
    out
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, bytes).unwrap();
    enc.finish().unwrap()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn idx_reader_survives_the_mutation_corpus() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let pixels: Vec<u8> = (0..4 * 3 * 8 * 8).map(|_| rng.random()).collect();
    let seeds = [
        idx(0x803, &[4, 16, 12], &pixels[..4 * 16 * 12]),
        idx(0x804, &[4, 3, 8, 8], &pixels),
        idx(0x801, &[4], &[1, 2, 3, 4]),
    ];
    let mut t = Tally::default();
    let read = |p: &Path| memsnn::encode::read_idx(p);
    for (i, s) in seeds.iter().enumerate() {
        for (j, m) in mutants(s, 24, 300, &mut rng).into_iter().enumerate() {
            probe(&mut t, &dir.path().join(format!("r{i}_{j}")), &m, &read);
            probe(
                &mut t,
                &dir.path().join(format!("g{i}_{j}.gz")),
                &gz(&m),
                &read,
            );
        }
        // Mutations of the compressed stream itself.
        for (j, m) in mutants(&gz(s), 24, 100, &mut rng).into_iter().enumerate() {
            probe(&mut t, &dir.path().join(format!("z{i}_{j}.gz")), &m, &read);
        }
    }
    assert!(t.err > t.tried / 4 && t.ok > 0, "{t:?}");
}

#[test]
fn npy_reader_survives_the_mutation_corpus() {
    use ndarray_npy::WriteNpyExt;
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut seeds = Vec::new();
    let mut w = |write: &dyn Fn(&mut Vec<u8>)| {
        let mut v = Vec::new();
        write(&mut v);
        seeds.push(v);
    };
    w(&|v| {
        ndarray::Array4::<u8>::from_elem((4, 3, 4, 4), 7)
            .write_npy(v)
            .unwrap()
    });
    w(&|v| {
        ndarray::Array2::<f32>::from_elem((5, 6), 0.25)
            .write_npy(v)
            .unwrap()
    });
    w(&|v| ndarray::arr1(&[1i64, 2, 3, 4]).write_npy(v).unwrap());
    let mut t = Tally::default();
    let read = |p: &Path| memsnn::npy::read_npy_any(p);
    for (i, s) in seeds.iter().enumerate() {
        for (j, m) in mutants(s, 128, 500, &mut rng).into_iter().enumerate() {
            probe(&mut t, &dir.path().join(format!("a{i}_{j}.npy")), &m, &read);
        }
        // Header text with declared shapes rewritten to huge or malformed values.
        let text = String::from_utf8_lossy(s).into_owned();
        for shape in [
            "(100000, 100000)",
            "(18446744073709551615, 2)",
            "(4294967296, 4294967296, 4294967296)",
            "(-1,)",
            "((((((((((1,),),),),),),),),),)",
            "()",
        ] {
            let start = text.find("'shape': ").unwrap() + 9;
            let end = start + text[start..].find(')').unwrap() + 1;
            let mutated = format!("{}{shape}{}", &text[..start], &text[end..]);
            let mut b = s.clone();
            let h = mutated.as_bytes();
            let hl = h.len().min(b.len());
            b[..hl].copy_from_slice(&h[..hl]);
            probe(&mut t, &dir.path().join(format!("s{i}.npy")), &b, &read);
        }
    }
    assert!(t.err > t.tried / 4 && t.ok > 0, "{t:?}");
}

#[test]
fn ron_readers_survive_the_mutation_corpus() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let mut t = Tally::default();
    let card = |p: &Path| memsnn::device::DeviceCard::load(p);
    let chip = |p: &Path| memsnn::chip::ChipSpec::load(p);
    let readers: [(&str, &Reader<'_>); 2] = [
        ("devices", &|p| {
            card(p).map(|_| ()).map_err(|e| e.to_string())
        }),
        ("netlists/chips", &|p| {
            chip(p).map(|_| ()).map_err(|e| e.to_string())
        }),
    ];
    let huge = [
        "1e300",
        "1e-320",
        "4000000000",
        "-1",
        "NaN",
        "inf",
        "[[[[[[[[[[",
    ];
    for (folder, read) in readers {
        for entry in std::fs::read_dir(repo(folder)).unwrap() {
            let src = std::fs::read(entry.unwrap().path()).unwrap();
            for (j, m) in mutants(&src, src.len(), 60, &mut rng)
                .into_iter()
                .enumerate()
            {
                probe(&mut t, &dir.path().join(format!("m{j}.ron")), &m, read);
            }
            // Every number replaced in turn by a hostile value.
            let text = String::from_utf8(src).unwrap();
            let numbers: Vec<(usize, usize)> = {
                let b = text.as_bytes();
                let mut v = Vec::new();
                let mut i = 0;
                while i < b.len() {
                    if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                        let s = i;
                        while i < b.len()
                            && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'-')
                        {
                            i += 1;
                        }
                        v.push((s, i));
                    }
                    i += 1;
                }
                v
            };
            for (k, &(s, e)) in numbers.iter().enumerate().take(40) {
                let h = huge[k % huge.len()];
                let m = format!("{}{h}{}", &text[..s], &text[e..]);
                probe(&mut t, &dir.path().join("n.ron"), m.as_bytes(), read);
            }
        }
    }
    // Deep nesting and a file of zeros.
    let deep = format!("(statistics: {}", "(".repeat(100_000));
    probe(
        &mut t,
        &dir.path().join("deep.ron"),
        deep.as_bytes(),
        &|p| card(p).map(|_| ()),
    );
    probe(&mut t, &dir.path().join("zeros.ron"), &[0u8; 4096], &|p| {
        card(p).map(|_| ())
    });
    assert!(t.err > t.tried / 4 && t.ok > 0, "{t:?}");
}

#[test]
fn nir_reader_survives_the_mutation_corpus() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let mut t = Tally::default();
    let read = |p: &Path| memsnn::network::read_nir(p);
    for rel in [
        "tests/data/nir/fixtures/lif_norse.nir",
        "tests/data/nir/fixtures/lif_rockpool.nir",
        "netlists/fashion-cnn/model.nir",
    ] {
        let src = std::fs::read(repo(rel)).unwrap();
        let n = if src.len() > 100_000 { 60 } else { 200 };
        for (j, m) in mutants(&src, src.len(), n, &mut rng)
            .into_iter()
            .enumerate()
        {
            probe(&mut t, &dir.path().join(format!("m{j}.nir")), &m, &read);
        }
    }
    assert!(t.err > t.tried / 4 && t.ok > 0, "{t:?}");
}
