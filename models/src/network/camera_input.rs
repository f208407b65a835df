//! `[[inputs]] kind = "event_camera"`: a recording replayed into one
//! population, channel `c` → neuron `c` of the target population.
//!
//! Keys: `file`, optional `format`, `lenient`, `sensor_size = [w, h]` (for
//! files that do not store it), `crop = [x, y, w, h]`, `pool = n | [nx, ny]`,
//! `polarity = "merge" | "split" | "on" | "off"` (default split),
//! `origin_us` (default: the first event), `start_ms`, `stop_ms`, and the
//! synapse `weight` and `delay_ms`. The target population must have exactly
//! as many neurons as there are channels.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use volley_engine::{Assignment, Gid, Time};

use super::config::Overrides;
use super::context::{Ctx, PopBuild, Site};
use super::edges::InputEdge;
use super::model_file::{CameraSpec, Pool};
use crate::error::ModelError;
use crate::input::event_camera::{
    self, ChannelMap, EventCameraDrive, EventFileError, Format, PolarityMode, ReadOptions, Replay,
    ReplayStatus, TimeWindow,
};

/// A parsed `event_camera` input.
pub(super) struct CameraInput {
    pub name: String,
    pub replay: Replay,
    pub first_gid: u32,
    /// Gid of the target neuron of each channel.
    pub targets: Vec<Gid>,
    pub weight: f64,
    pub delay: Time,
    pub status: Arc<Mutex<ReplayStatus>>,
}

/// A recording error as a model error naming the recording.
pub(super) fn model_error(e: EventFileError) -> ModelError {
    ModelError {
        file: e.file.clone(),
        line: e.line.map(|l| l as usize),
        key: None,
        message: match e.offset {
            Some(o) => format!("byte {o}: {}", e.message),
            None => e.message,
        },
    }
}

impl CameraInput {
    /// Channel → neuron synapses.
    pub fn edges(&self) -> impl Iterator<Item = InputEdge> + '_ {
        self.targets.iter().enumerate().map(|(c, t)| InputEdge {
            source: Gid(self.first_gid + c as u32),
            target: t.0,
            weight: self.weight,
            delay: self.delay,
        })
    }

    /// Number of channels (= input nodes).
    pub fn n_channels(&self) -> u32 {
        self.targets.len() as u32
    }

    /// The drives of partitions `local` (this process's), in order, each
    /// keeping the channels whose neuron it owns. `workers_here` counts the
    /// worker threads of every process on this machine (this process's
    /// alone unless several share it). The partitions share one reader:
    /// they take turns at reading chunks and deal them in parallel, and with
    /// a core to spare a helper thread reads and deals ahead of them.
    pub fn drives_for(
        &self,
        local: Range<usize>,
        assign: &Assignment,
        workers_here: usize,
    ) -> Result<Vec<EventCameraDrive>, ModelError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let helper = workers_here.max(local.len()) < cores;
        if local.is_empty() {
            return Ok(Vec::new());
        }
        let owner: Vec<u16> = self
            .targets
            .iter()
            .map(|g| {
                let p = assign.partition_of(g.0);
                let d = if local.contains(&p) {
                    p - local.start
                } else {
                    local.len()
                };
                d as u16
            })
            .collect();
        // One partition keeping every channel needs no dealing.
        let all = owner.iter().all(|&d| d == 0) && local.len() == 1;
        EventCameraDrive::open_shared(
            &self.replay,
            self.first_gid,
            (!all).then_some(owner),
            local.len(),
            helper,
            // Progress is reported by the first drive.
            (self.status.clone(), true),
        )
        .map_err(model_error)
    }
}

/// The camera input `name` (its table `at`, keys `s`), its channels
/// numbered from gid `first_gid`.
pub(super) fn resolve(
    ctx: &Ctx,
    at: &Site,
    name: &str,
    s: &CameraSpec,
    pops: &[PopBuild],
    first_gid: u32,
    ov: &Overrides,
) -> Result<CameraInput, ModelError> {
    let path: PathBuf = match (&ov.event_file, &s.file) {
        (Some(f), _) => f.clone(),
        (None, Some(f)) => ctx.resolve(f),
        (None, None) => return Err(at.err("file", "missing: the recording to replay")),
    };
    // A recording given on the command line comes with its own format (or
    // is sniffed): the model's `format` describes the model's file.
    let format = match (&ov.event_file, ov.event_format, &s.format) {
        (_, Some(f), _) => Some(f),
        (None, None, Some(f)) => Some(f.parse::<Format>().map_err(|m| at.err("format", m))?),
        _ => None,
    };
    let options = ReadOptions {
        format,
        lenient: ov.lenient || s.lenient.unwrap_or(false),
    };
    let weight = at.weight("weight", s.weight)?;
    let delay = at.delay("delay_ms", s.delay_ms)?;
    let polarity = match &s.polarity {
        Some(p) => p
            .parse::<PolarityMode>()
            .map_err(|m| at.err("polarity", m))?,
        None => PolarityMode::Split,
    };
    let pool = match &s.pool {
        None => (1, 1),
        Some(Pool::Square(n)) => (*n, *n),
        Some(Pool::Rect(v)) if v.len() == 2 => (v[0], v[1]),
        Some(Pool::Rect(v)) => {
            return Err(at.err(
                "pool",
                format!("give n or [nx, ny], got {} values", v.len()),
            ))
        }
    };
    if pool.0 == 0 || pool.1 == 0 {
        return Err(at.err("pool", "pooling factors must be >= 1"));
    }
    // The sensor size: from the model, else from the file.
    let stored = event_camera::open(&path, options)
        .map_err(model_error)?
        .geometry();
    let sensor = match (&s.sensor_size, stored) {
        (Some(v), _) if v.len() != 2 || v[0] == 0 || v[1] == 0 => {
            return Err(at.err("sensor_size", "give [width, height], both > 0"))
        }
        (Some(v), Some(g)) if (v[0], v[1]) != g => {
            return Err(at.err(
                "sensor_size",
                format!(
                    "{} says its sensor is {}x{}, not {}x{}",
                    path.display(),
                    g.0,
                    g.1,
                    v[0],
                    v[1]
                ),
            ))
        }
        (Some(v), _) => Some((v[0], v[1])),
        (None, g) => g,
    };
    let crop = match (&s.crop, sensor) {
        (Some(c), _) if c.len() == 4 && c[2] > 0 && c[3] > 0 => {
            if let Some((w, h)) = sensor {
                if u64::from(c[0]) + u64::from(c[2]) > u64::from(w)
                    || u64::from(c[1]) + u64::from(c[3]) > u64::from(h)
                {
                    return Err(at.err(
                        "crop",
                        format!("crop {c:?} does not fit the {w}x{h} sensor"),
                    ));
                }
            }
            (c[0], c[1], c[2], c[3])
        }
        (Some(_), _) => return Err(at.err("crop", "give [x, y, width, height], sizes > 0")),
        (None, Some((w, h))) => (0, 0, w, h),
        (None, None) => {
            return Err(at.err(
                "sensor_size",
                format!(
                "{} does not store the sensor size: give `sensor_size = [width, height]` or `crop`",
                path.display()
            ),
            ))
        }
    };
    let map = ChannelMap {
        crop,
        pool,
        polarity,
    };
    let ms_to_us = |k: &str, v: Option<f64>| -> Result<Option<i64>, ModelError> {
        match v {
            None => Ok(None),
            // Within Time::LIMIT, so the µs fit in an i64 with room to add.
            Some(ms) => at
                .instant(k, ms)
                .map(|_| Some((ms * 1000.0).round() as i64)),
        }
    };
    let start_us = ms_to_us("start_ms", s.start_ms)?.unwrap_or(0);
    let stop_us = ms_to_us("stop_ms", s.stop_ms)?;
    if stop_us.is_some_and(|t| t <= start_us) {
        return Err(at.err("stop_ms", "must be after start_ms"));
    }
    let n = map.n_channels();
    let targets = at.neurons("targets", &s.targets, pops)?;
    let [target] = targets.as_slice() else {
        return Err(at.err(
            "targets",
            "name exactly one population or slice (channel c drives its neuron c)",
        ));
    };
    if u64::from(target.count) != n {
        let (cols, rows) = map.grid();
        let p = if polarity.two_channels() {
            " x 2 polarities"
        } else {
            ""
        };
        return Err(at.err(
            "targets",
            format!(
                "`{}` has {} neurons but the replay has {n} channels ({cols} x {rows}{p})",
                s.targets.list()[0],
                target.count
            ),
        ));
    }
    first_gid
        .checked_add(n as u32)
        .ok_or_else(|| at.err("crop", "too many input channels"))?;
    Ok(CameraInput {
        name: name.to_string(),
        replay: Replay {
            path,
            options,
            map,
            window: TimeWindow {
                origin_us: s.origin_us,
                start_us,
                stop_us,
            },
        },
        first_gid,
        targets: target.gids().map(Gid).collect(),
        weight,
        delay,
        status: Arc::new(Mutex::new(ReplayStatus::default())),
    })
}
