//! The `hourglass` binary: `serve` runs the server; the other subcommands are operator tools.

mod cli;
mod client;
mod leaked_key;
mod move_key;
mod process_credentials;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hourglass: {e}");
            ExitCode::FAILURE
        }
    }
}
