//! Chip specs: the core geometry, fan-out rule, mesh, timing and energy tables of a chip.
//!
//! A spec is a RON file (`netlists/chips/*.ron`); the presets `truenorth` and `loihi` are
//! embedded in the binary. Every number of the presets is cited in the file's comments.

use super::ChipError;
use crate::config::{FieldError, parse_json, parse_ron, read_ron};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The chip spec format version this build reads.
pub const CHIP_VERSION: u32 = 1;

/// Built-in chips: `(name, RON text)`.
const BUILTIN: &[(&str, &str)] = &[
    (
        "truenorth",
        include_str!("../../netlists/chips/truenorth.ron"),
    ),
    ("loihi", include_str!("../../netlists/chips/loihi.ron")),
];

/// One core: a crossbar of `rows` axons × `cols` columns, its neurons and converters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoreSpec {
    /// Crossbar rows (input axons). Default 256.
    pub rows: usize,
    /// Crossbar columns (physical; a differential weight uses two). Default 256.
    pub cols: usize,
    /// Neurons a core hosts (outputs whose partial sums it accumulates, plus splitters). Default 256.
    pub neurons: usize,
    /// ADC resolution in bits; `None` = ideal (no quantisation of column currents). Default `None`.
    pub adc_bits: Option<u32>,
    /// DAC resolution in bits for analog inputs; `None` = ideal. Default `None`.
    pub dac_bits: Option<u32>,
    /// ADCs per core, shared by the columns (conversions are serialised over them). Default 1.
    pub adcs: usize,
    /// The physical crossbar subarrays the core's synapses live on; `None` (default) = the
    /// core's crossbar is one `rows × cols` array. With `Some((rows: 256, cols: 256))` a core's
    /// weight block is cut into subarrays of at most that size, each with its own wires (IR
    /// drop), read and ADC conversions; the core adds their partial sums digitally. Subarrays
    /// that would hold only structural zeros are not built (no devices).
    pub subarray: Option<SubarraySpec>,
}

/// One physical crossbar subarray: `rows` word lines × `cols` bit lines (physical columns).
///
/// Realistic sizes are 128–512: ISAAC uses 128 × 128 arrays (Shafiee et al., ISCA 2016), PUMA
/// 128 × 128 (Ankit et al., ASPLOS 2019), NeuroSim's default subarray is 128 × 128 and its
/// studies sweep up to 512 (Peng et al., IEDM 2019), and fabricated RRAM/PCM macros are
/// 256 × 256 (e.g. Wan et al., Nature 608, 2022: 256 × 256 per core; Khaddam-Aljameh et al.,
/// JSSC 2022: 256 × 256 PCM tiles). Wire resistance makes larger arrays impractical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubarraySpec {
    /// Word lines (inputs).
    pub rows: usize,
    /// Bit lines (physical columns; a differential weight uses two).
    pub cols: usize,
}

/// How a convolution is laid out on crossbars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ConvMapping {
    /// TrueNorth/Loihi style: every output position is a physical neuron with its own
    /// synapses; the kernel is replicated per position (unrolled), read once per step.
    #[default]
    Unrolled,
    /// Weight-stationary, as analog accelerators do it (ISAAC, PUMA, NeuroSim, aihwkit,
    /// CrossSim): the kernel is one `(C_in·k·k) × C_out` crossbar (split over subarrays and
    /// cores as needed) read once per output position per step (im2col); one set of devices
    /// serves every position, so a programming error is the same at every position.
    Shared,
}

impl ConvMapping {
    /// From its name on the command line: `unrolled` or `shared`.
    pub fn from_name(s: &str) -> Result<ConvMapping, String> {
        match s {
            "unrolled" => Ok(ConvMapping::Unrolled),
            "shared" => Ok(ConvMapping::Shared),
            _ => Err(format!(
                "unknown conv mapping `{s}` (expected unrolled or shared)"
            )),
        }
    }
}

impl Default for CoreSpec {
    fn default() -> Self {
        CoreSpec {
            rows: 256,
            cols: 256,
            neurons: 256,
            adc_bits: None,
            dac_bits: None,
            adcs: 1,
            subarray: None,
        }
    }
}

/// How many targets a neuron's output may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Fanout {
    /// A spike is multicast to any number of axons on any number of cores (Loihi).
    #[default]
    Unlimited,
    /// Each neuron targets exactly one axon of one core (TrueNorth); a value needed by k > 1
    /// axons goes through k splitter neurons on the source's home core, which count against
    /// its neuron capacity.
    OneTarget,
}

/// The 2-D mesh of cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeshSpec {
    /// Cores along x. Default 8.
    pub width: u32,
    /// Cores along y. Default 8.
    pub height: u32,
}

impl Default for MeshSpec {
    fn default() -> Self {
        MeshSpec {
            width: 8,
            height: 8,
        }
    }
}

/// When a layer's output spikes reach the next layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Delivery {
    /// In the same timestep (ideal timing: equals the software network).
    #[default]
    SameStep,
    /// `n` timesteps later, per layer (TrueNorth and Loihi: 1).
    Steps(u32),
}

impl Delivery {
    /// Timesteps of delay between a layer's spikes and the next layer's input.
    pub fn steps(self) -> u32 {
        match self {
            Delivery::SameStep => 0,
            Delivery::Steps(n) => n,
        }
    }
}

/// Durations of the chip's operations, in seconds (0 = negligible / not modelled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TimingTable {
    /// Minimum duration of a timestep (a fixed tick, e.g. TrueNorth's 1 ms); 0 = free-running.
    pub tick: f64,
    /// One crossbar read: drive the rows, settle, sample the columns (s).
    pub read: f64,
    /// One ADC conversion (s); a core's conversions are serialised over its `adcs`.
    pub adc: f64,
    /// One hop of a packet on the mesh (s).
    pub hop: f64,
    /// Barrier synchronisation at the end of a timestep (s).
    pub barrier: f64,
}

/// Energies of the chip's events, in joules (0 = negligible / not modelled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct EnergyTable {
    /// Per synaptic event (active input × output of a read), J.
    pub synaptic_op: f64,
    /// Per crossbar read (row drivers / DACs, sample-and-hold), J.
    pub crossbar_read: f64,
    /// Per ADC conversion, J.
    pub adc_conversion: f64,
    /// Per neuron state update, J.
    pub neuron_update: f64,
    /// Per packet sent (injection and delivery), J.
    pub packet: f64,
    /// Per hop of a packet on the mesh, J.
    pub hop: f64,
    /// Per timestep barrier, J.
    pub barrier: f64,
    /// A digital chip's energy per synaptic event, for comparison only (not summed), J.
    pub reference_synaptic_op: Option<f64>,
}

/// A chip (see the module docs). Unknown fields are errors; every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChipSpec {
    /// Format version; must be [`CHIP_VERSION`] (default).
    pub version: u32,
    /// Name shown in tables and reports. Default `custom`.
    pub name: String,
    /// Core geometry.
    pub core: CoreSpec,
    /// Fan-out rule. Default `Unlimited`.
    pub fanout: Fanout,
    /// The mesh of cores.
    pub mesh: MeshSpec,
    /// Delivery latency of spikes between layers. Default `SameStep`.
    pub delivery: Delivery,
    /// Durations (s).
    pub timing: TimingTable,
    /// Energies (J).
    pub energy: EnergyTable,
    /// The chip's neurons are Loihi-style fixed-point CUBA neurons (12-bit decays, integer
    /// state) rather than float neurons; read by the chip-mode engine. Default false.
    pub fixed_point_neurons: bool,
    /// How convolutions are laid out (`Unrolled`, default, or `Shared`).
    pub conv: ConvMapping,
    /// Where the spec came from (file path, or `<builtin name>`); not read from files.
    #[serde(skip)]
    pub source: PathBuf,
}

impl Default for ChipSpec {
    fn default() -> Self {
        ChipSpec {
            version: CHIP_VERSION,
            name: "custom".into(),
            core: CoreSpec::default(),
            fanout: Fanout::default(),
            mesh: MeshSpec::default(),
            delivery: Delivery::default(),
            timing: TimingTable::default(),
            energy: EnergyTable::default(),
            fixed_point_neurons: false,
            conv: ConvMapping::Unrolled,
            source: PathBuf::new(),
        }
    }
}

/// Documented bounds of a chip spec (beyond them a spec is refused, naming the field and the
/// limit, before anything is allocated for it).
pub mod limits {
    /// Most cores one chip's mesh may have (`mesh.width × mesh.height`): 65,536, 16× TrueNorth's
    /// 4,096 and as many as a 16-chip NS16e board.
    pub const MAX_MESH_CORES: u64 = 1 << 16;
    /// Most crossbar rows, columns or neurons of one core (`core.rows`, `core.cols`,
    /// `core.neurons`): 65,536 (Loihi: 4,096 axons, 1,024 neurons).
    pub const MAX_CORE_DIM: usize = 1 << 16;
    /// Longest spike delivery delay (`delivery: Steps(n)`): 64 timesteps (Loihi's largest
    /// synaptic delay is 62; TrueNorth and Loihi deliver in 1).
    pub const MAX_DELIVERY_STEPS: u32 = 64;
    /// Converter resolutions (`core.adc_bits`, `core.dac_bits`): 2 to 24 bits (a signed
    /// converter has 2^(bits−1) − 1 steps per sign, none at 1 bit).
    pub const CONVERTER_BITS: (u32, u32) = (2, 24);
    /// Largest duration of one operation (`timing.*`): 1 s (real chips: ns to 1 ms).
    pub const MAX_TIME: f64 = 1.0;
    /// Largest energy of one event (`energy.*`): 1 mJ (real chips: fJ to nJ); with at most
    /// 2⁶⁴ events, every energy stays finite.
    pub const MAX_ENERGY: f64 = 1e-3;
}

fn bounded(field: &str, v: f64, max: f64, unit: &str) -> Result<(), FieldError> {
    nonneg(field, v)?;
    if v > max {
        return Err(FieldError::new(
            field,
            format!("{v:e} {unit} is above the limit of {max:e} {unit} per event"),
        ));
    }
    Ok(())
}

fn nonneg(field: &str, v: f64) -> Result<(), FieldError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("{v} must be a finite number ≥ 0"),
        ))
    }
}

impl ChipSpec {
    /// Names of the built-in chips.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    /// A built-in chip by name.
    pub fn builtin(name: &str) -> Result<ChipSpec, ChipError> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ChipError::Unknown { name: name.into() })?;
        let path = PathBuf::from(format!("<builtin {name}>"));
        let mut spec: ChipSpec = parse_ron(text, &path)?;
        spec.validate().map_err(|e| e.in_file(&path))?;
        spec.source = path;
        Ok(spec)
    }

    /// Read and validate a chip spec file.
    pub fn load(path: &Path) -> Result<ChipSpec, ChipError> {
        let mut spec: ChipSpec = read_ron(path)?;
        spec.validate()
            .map_err(|e| ChipError::Config(e.in_file(path)))?;
        spec.source = path.to_path_buf();
        Ok(spec)
    }

    /// Parse and validate a chip spec given as JSON (the RON file's fields); `name` stands for
    /// the file in messages.
    pub fn from_json(text: &str, name: &Path) -> Result<ChipSpec, ChipError> {
        let mut spec: ChipSpec = parse_json(text, name)?;
        spec.validate()
            .map_err(|e| ChipError::Config(e.in_file(name)))?;
        spec.source = name.to_path_buf();
        Ok(spec)
    }

    /// A built-in name (`truenorth`, `loihi`) or a path to a RON file.
    pub fn resolve(name_or_path: &str) -> Result<ChipSpec, ChipError> {
        let looks_like_path = name_or_path.contains('/')
            || name_or_path.contains(std::path::MAIN_SEPARATOR)
            || name_or_path.ends_with(".ron");
        if !looks_like_path && BUILTIN.iter().any(|(n, _)| *n == name_or_path) {
            return Self::builtin(name_or_path);
        }
        let p = Path::new(name_or_path);
        if looks_like_path || p.is_file() {
            return Self::load(p);
        }
        Err(ChipError::Unknown {
            name: name_or_path.into(),
        })
    }

    /// Number of cores on the mesh.
    pub fn mesh_cores(&self) -> usize {
        self.mesh.width as usize * self.mesh.height as usize
    }

    /// Check values; the error names the offending field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.version != CHIP_VERSION {
            return Err(FieldError::new(
                "version",
                format!(
                    "version {} is not supported (this build reads {CHIP_VERSION})",
                    self.version
                ),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "must not be empty"));
        }
        let c = &self.core;
        for (f, v) in [
            ("rows", c.rows),
            ("cols", c.cols),
            ("neurons", c.neurons),
            ("adcs", c.adcs),
        ] {
            if v == 0 {
                return Err(FieldError::new(f, "must be at least 1").within("core"));
            }
            if v > limits::MAX_CORE_DIM {
                return Err(FieldError::new(
                    f,
                    format!(
                        "{v} is above the limit of {} per core",
                        limits::MAX_CORE_DIM
                    ),
                )
                .within("core"));
            }
        }
        if let Some(sa) = c.subarray {
            for (f, v, max) in [("rows", sa.rows, c.rows), ("cols", sa.cols, c.cols)] {
                if v == 0 {
                    return Err(FieldError::new(
                        format!("core.subarray.{f}"),
                        "must be at least 1",
                    ));
                }
                if v > max {
                    return Err(FieldError::new(
                        format!("core.subarray.{f}"),
                        format!("{v} is larger than the core's {max} {f}"),
                    ));
                }
            }
        }
        let (lo, hi) = limits::CONVERTER_BITS;
        for (f, b) in [("adc_bits", c.adc_bits), ("dac_bits", c.dac_bits)] {
            if let Some(b) = b
                && !(lo..=hi).contains(&b)
            {
                return Err(FieldError::new(
                    f,
                    format!("{b} bits is outside {lo}..={hi} (use None for an ideal converter)"),
                )
                .within("core"));
            }
        }
        if self.mesh.width == 0 || self.mesh.height == 0 {
            return Err(FieldError::new(
                "mesh",
                format!(
                    "{}×{} has no cores: width and height must be at least 1",
                    self.mesh.width, self.mesh.height
                ),
            ));
        }
        let cores = u64::from(self.mesh.width) * u64::from(self.mesh.height);
        if cores > limits::MAX_MESH_CORES {
            return Err(FieldError::new(
                "mesh",
                format!(
                    "{}×{} = {cores} cores is above the limit of {} cores per chip",
                    self.mesh.width,
                    self.mesh.height,
                    limits::MAX_MESH_CORES
                ),
            ));
        }
        if let Delivery::Steps(n) = self.delivery
            && n > limits::MAX_DELIVERY_STEPS
        {
            return Err(FieldError::new(
                "delivery",
                format!(
                    "Steps({n}) is above the limit of {} timesteps",
                    limits::MAX_DELIVERY_STEPS
                ),
            ));
        }
        let t = &self.timing;
        for (f, v) in [
            ("tick", t.tick),
            ("read", t.read),
            ("adc", t.adc),
            ("hop", t.hop),
            ("barrier", t.barrier),
        ] {
            bounded(f, v, limits::MAX_TIME, "s").map_err(|e| e.within("timing"))?;
        }
        let e = &self.energy;
        for (f, v) in [
            ("synaptic_op", e.synaptic_op),
            ("crossbar_read", e.crossbar_read),
            ("adc_conversion", e.adc_conversion),
            ("neuron_update", e.neuron_update),
            ("packet", e.packet),
            ("hop", e.hop),
            ("barrier", e.barrier),
            (
                "reference_synaptic_op",
                e.reference_synaptic_op.unwrap_or(0.0),
            ),
        ] {
            bounded(f, v, limits::MAX_ENERGY, "J").map_err(|e| e.within("energy"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        let tn = ChipSpec::builtin("truenorth").unwrap();
        assert_eq!(
            (tn.core.rows, tn.core.cols, tn.core.neurons),
            (256, 256, 256)
        );
        assert_eq!(tn.mesh_cores(), 4096);
        assert_eq!(tn.fanout, Fanout::OneTarget);
        assert_eq!(tn.timing.tick, 1e-3);
        let lo = ChipSpec::resolve("loihi").unwrap();
        assert_eq!((lo.core.rows, lo.core.neurons), (4096, 1024));
        assert_eq!(lo.mesh_cores(), 128);
        assert_eq!(lo.delivery, Delivery::Steps(1));
    }

    #[test]
    fn invalid_fields_are_named() {
        let p = Path::new("c.ron");
        let spec: ChipSpec = parse_ron("(core: (rows: 0))", p).unwrap();
        let e = spec.validate().unwrap_err();
        assert_eq!(e.field, "core.rows");
        let spec: ChipSpec = parse_ron("(energy: (hop: -1e-12))", p).unwrap();
        assert_eq!(spec.validate().unwrap_err().field, "energy.hop");
        let spec: ChipSpec = parse_ron("(mesh: (width: 0, height: 3))", p).unwrap();
        assert_eq!(spec.validate().unwrap_err().field, "mesh");
        assert!(parse_ron::<ChipSpec>("(cores: 3)", p).is_err());
    }

    #[test]
    fn absurd_sizes_are_refused_naming_the_field_and_limit() {
        let p = Path::new("c.ron");
        let check = |text: &str, field: &str, needle: &str| {
            let spec: ChipSpec = parse_ron(text, p).unwrap();
            let e = spec.validate().unwrap_err();
            assert_eq!(e.field, field, "{text}: {e}");
            assert!(e.reason.contains(needle), "{text}: {e}");
        };
        check("(mesh: (width: 100000, height: 100000))", "mesh", "65536");
        check("(delivery: Steps(4000000000))", "delivery", "limit of 64");
        check("(core: (adc_bits: Some(1)))", "core.adc_bits", "2..=24");
        check("(core: (rows: 1000000))", "core.rows", "65536");
        check("(energy: (hop: 1e300))", "energy.hop", "limit");
        check("(timing: (tick: 1e9))", "timing.tick", "limit");
    }

    #[test]
    fn unknown_names_list_the_presets() {
        let e = ChipSpec::resolve("truenrth").unwrap_err().to_string();
        assert!(
            e.contains("truenrth") && e.contains("truenorth, loihi"),
            "{e}"
        );
    }
}
