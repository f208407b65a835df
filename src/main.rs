//! The `volley` command line.

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use volley::checkpoint::CheckpointPlan;
use volley::run::RunOptions;
use volley_models::{Overrides, PartitionScheme, RunConfig};

#[derive(Parser)]
#[command(
    name = "volley",
    version,
    about = "Exact, event-driven spiking-network simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How the network is split over threads (`run`, `replay`, `resume`).
#[derive(clap::Args)]
struct SplitArgs {
    /// Worker threads; the network is split into as many partitions.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// How neurons are split: auto (blocks when an event camera drives a
    /// population, synapses are plastic or Poisson drives differ between populations, else
    /// contiguous), contiguous (balanced gid ranges),
    /// round_robin, or blocks (64-gid blocks dealt round robin: balances
    /// inputs that drive part of a population).
    #[arg(long, default_value = "auto", value_parser = PartitionScheme::NAMES)]
    partitioning: String,
    /// Explicit assignment: CSV `gid,partition` (overrides --partitioning).
    #[arg(long)]
    partition_file: Option<PathBuf>,
}

/// What a run shows (`run`, `replay`, `resume`).
#[derive(clap::Args)]
struct ShowArgs {
    /// Do not draw raster.png.
    #[arg(long)]
    no_raster: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// Options shared by `run` and `replay`.
#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    split: SplitArgs,
    /// Output folder (default: out/<model name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the model's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the simulated time (ms).
    #[arg(long = "t-sim")]
    t_sim: Option<f64>,
    #[command(flatten)]
    show: ShowArgs,
    /// Event-camera inputs: skip damaged parts of recordings (and count them) instead of failing.
    #[arg(long)]
    lenient: bool,
    /// Pace the simulation to wall-clock time (for live demos).
    #[arg(long)]
    realtime: bool,
    /// Write a checkpoint every MS of simulated time (and a last one on
    /// SIGTERM / SIGINT, then stop with exit status 75); `volley resume`
    /// continues the run.
    #[arg(long, value_name = "MS")]
    checkpoint_every: Option<f64>,
    /// Folder of the checkpoint (default: <out>/checkpoint).
    #[arg(long, value_name = "DIR")]
    checkpoint_dir: Option<PathBuf>,
}

/// Options of `resume`.
#[derive(clap::Args)]
struct ResumeArgs {
    /// Any split: the results do not depend on it.
    #[command(flatten)]
    split: SplitArgs,
    /// Simulate to this time (ms) instead of the run's own end.
    #[arg(long = "t-sim")]
    t_sim: Option<f64>,
    #[command(flatten)]
    show: ShowArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model file; writes spikes.csv, summary.json and raster.png.
    Run {
        /// The model file (TOML).
        model: PathBuf,
        #[command(flatten)]
        args: RunArgs,
    },
    /// Replay an event-camera recording into a model's `event_camera` input and simulate.
    Replay {
        /// The recording; replaces the `file` of the model's event_camera input.
        file: PathBuf,
        /// The model file (TOML) with one `event_camera` input.
        #[arg(long)]
        model: PathBuf,
        /// Format of the recording, instead of sniffing it.
        #[arg(long)]
        format: Option<String>,
        #[command(flatten)]
        args: RunArgs,
    },
    /// Continue a run from its last checkpoint (see `run --checkpoint-every`),
    /// on any number of threads; appends to the run's outputs.
    Resume {
        /// The checkpoint folder (or its checkpoint.bin).
        dir: PathBuf,
        #[command(flatten)]
        args: ResumeArgs,
    },
    /// Decode an event-camera recording and summarise it.
    Inspect {
        /// The recording (.aedat, .aedat4, .raw, .dat, .bin, .es, .csv, .txt), or a NIR graph (.nir).
        file: PathBuf,
        /// Format, instead of sniffing it: nmnist, aedat2, aedat3, aedat4, evt2, evt21, evt3, dat, es, text.
        #[arg(long)]
        format: Option<String>,
        /// Print one JSON object with the ground-truth field names of MANIFEST.json.
        #[arg(long)]
        json: bool,
        /// Skip damaged parts (and count them) instead of failing.
        #[arg(long)]
        lenient: bool,
    },
}

fn inspect(file: PathBuf, format: Option<String>, json: bool, lenient: bool) -> ExitCode {
    use volley_models::input::event_camera::{inspect, Format, ReadOptions};
    if file.extension().is_some_and(|e| e == "nir") {
        return match volley::inspect::describe_nir(&file) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let format = match format.map(|f| f.parse::<Format>()).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match inspect(&file, ReadOptions { format, lenient }) {
        Ok(s) => {
            if json {
                let j = volley::inspect::GroundTruthJson::from(&s);
                println!(
                    "{}",
                    serde_json::to_string(&j).expect("inspection serialises")
                );
            } else {
                print!(
                    "{}",
                    volley::inspect::describe(&file.display().to_string(), &s)
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect {
            file,
            format,
            json,
            lenient,
        } => inspect(file, format, json, lenient),
        Command::Run { model, args } => run(model, args, None, None),
        Command::Resume { dir, args } => resume(dir, args),
        Command::Replay {
            file,
            model,
            format,
            args,
        } => {
            let format = match format.map(|f| f.parse()).transpose() {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            run(model, args, Some(file), format)
        }
    }
}

impl SplitArgs {
    /// The threads and partitioning the flags ask for (`Err`: the exit
    /// status, the reason printed).
    fn config(self) -> Result<RunConfig, ExitCode> {
        if self.threads == 0 || self.threads > volley_engine::MAX_PARTITIONS {
            eprintln!(
                "error: --threads must be between 1 and {}",
                volley_engine::MAX_PARTITIONS
            );
            return Err(ExitCode::from(2));
        }
        let scheme = match self.partition_file {
            Some(f) => volley_models::read_partition_file(&f).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            })?,
            None => PartitionScheme::from_name(&self.partitioning)
                .expect("clap admits only the schemes' names"),
        };
        Ok(RunConfig::threads(self.threads, scheme))
    }
}

fn resume(dir: PathBuf, a: ResumeArgs) -> ExitCode {
    let config = match a.split.config() {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Under mpirun without MPI support, every rank would run it all.
    #[cfg(not(feature = "mpi"))]
    {
        let ranks = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
            .iter()
            .find_map(|v| std::env::var(v).ok()?.parse::<u32>().ok());
        if ranks.is_some_and(|r| r > 1) {
            eprintln!("error: this volley was built without MPI (cargo feature `mpi`); resume it without mpirun");
            return ExitCode::from(2);
        }
    }
    let cp = match volley::checkpoint::Checkpoint::read(&dir) {
        Ok(cp) => cp,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out_dir = cp.out_dir.clone();
    let dir = if dir.is_dir() {
        dir
    } else {
        dir.parent().map(PathBuf::from).unwrap_or_default()
    };
    let progress = !a.show.quiet && std::io::stderr().is_terminal();
    let flags = (progress, !a.show.no_raster);
    #[cfg(feature = "mpi")]
    let result = volley::distributed::resume_mpi(cp, &dir, config, a.t_sim, flags);
    #[cfg(not(feature = "mpi"))]
    let result = volley::run::resume(cp, &dir, config, a.t_sim, flags).map(Some);
    report(result, a.show.quiet, &out_dir)
}

fn run(
    model: PathBuf,
    a: RunArgs,
    event_file: Option<PathBuf>,
    event_format: Option<volley_models::input::event_camera::Format>,
) -> ExitCode {
    let config = match a.split.config() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let out_dir = a.out.unwrap_or_else(|| {
        PathBuf::from("out").join(
            model
                .file_stem()
                .map(|s| s.to_os_string())
                .unwrap_or_else(|| "run".into()),
        )
    });
    let opts = RunOptions {
        out_dir: out_dir.clone(),
        overrides: Overrides {
            seed: a.seed,
            t_sim_ms: a.t_sim,
            event_file,
            event_format,
            lenient: a.lenient,
        },
        config,
        progress: !a.show.quiet && std::io::stderr().is_terminal(),
        raster: !a.show.no_raster,
        realtime: a.realtime,
        checkpoint: a.checkpoint_every.map(|every_ms| CheckpointPlan {
            every_ms,
            dir: a
                .checkpoint_dir
                .unwrap_or_else(|| out_dir.join("checkpoint")),
        }),
    };
    #[cfg(feature = "mpi")]
    let result = volley::distributed::run_model_mpi(&model, &opts);
    #[cfg(not(feature = "mpi"))]
    let result = volley::run::run_model(&model, &opts).map(Some);
    report(result, a.show.quiet, &out_dir)
}

/// Print what a run did (or why it failed) and choose the exit status.
fn report(
    result: Result<Option<volley::run::Summary>, volley::run::RunError>,
    quiet: bool,
    out_dir: &std::path::Path,
) -> ExitCode {
    match result {
        // Other MPI ranks than 0: rank 0 reports.
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(summary)) => {
            if !quiet {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&summary).expect("summary serialises")
                );
                for r in &summary.event_replays {
                    if r.damaged_parts > 0 {
                        eprintln!(
                            "warning: input `{}`: {} damaged part(s) ({} bytes) skipped",
                            r.name, r.damaged_parts, r.damaged_bytes
                        );
                    }
                    if r.events_late > 0 {
                        eprintln!(
                            "warning: input `{}`: {} events more than 50 ms out of time order were injected late",
                            r.name, r.events_late
                        );
                    }
                }
                if let Some(r) = &summary.realtime {
                    eprintln!("{}", r.describe());
                }
                eprintln!("outputs written to {}", out_dir.display());
            }
            ExitCode::SUCCESS
        }
        Err(e @ volley::run::RunError::Interrupted { .. }) => {
            eprintln!("{e}");
            // EX_TEMPFAIL: not finished, but nothing is wrong; run again.
            ExitCode::from(75)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
