//! The `volley` command line.

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use volley::run::{run_model, RunOptions};
use volley_models::Overrides;

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

#[derive(Subcommand)]
enum Command {
    /// Simulate a model file; writes spikes.csv, summary.json and raster.png.
    Run {
        /// The model file (TOML).
        model: PathBuf,
        /// Worker threads (this version runs one worker).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Output folder (default: out/<model name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the model's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the simulated time (ms).
        #[arg(long = "t-sim")]
        t_sim: Option<f64>,
        /// Do not draw raster.png.
        #[arg(long)]
        no_raster: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            model,
            threads,
            out,
            seed,
            t_sim,
            no_raster,
            quiet,
        } => {
            if threads == 0 {
                eprintln!("error: --threads must be at least 1");
                return ExitCode::from(2);
            }
            let out_dir = out.unwrap_or_else(|| {
                PathBuf::from("out").join(
                    model
                        .file_stem()
                        .map(|s| s.to_os_string())
                        .unwrap_or_else(|| "run".into()),
                )
            });
            let opts = RunOptions {
                threads,
                out_dir: out_dir.clone(),
                overrides: Overrides {
                    seed,
                    t_sim_ms: t_sim,
                },
                progress: !quiet && std::io::stderr().is_terminal(),
                raster: !no_raster,
            };
            if threads > 1 && !quiet {
                eprintln!("note: this version runs one worker thread; --threads {threads} is recorded but not used yet");
            }
            match run_model(&model, &opts) {
                Ok(summary) => {
                    if !quiet {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&summary).expect("summary serialises")
                        );
                        eprintln!("outputs written to {}", out_dir.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
