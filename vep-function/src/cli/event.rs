//! `vep-function event decode`: an annotated.v2 event's data (the compact encoding, e.g. a
//! record value from the dead-letter topic, or the body of a binary-mode event) read from
//! stdin and written to stdout as JSON, in the form `eventing/schemas/variants-annotated.v2.json`
//! describes. For operators inspecting events, and for tests that look into them.

use std::io::{Read, Write};

use anyhow::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct EventArgs {
    #[command(subcommand)]
    pub command: EventCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum EventCommand {
    /// Decode annotated.v2 data (stdin) to JSON (stdout).
    Decode,
}

pub fn run(args: EventArgs) -> anyhow::Result<()> {
    match args.command {
        EventCommand::Decode => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("reading stdin")?;
            let part = contract::wire::decode(&bytes).context("decoding annotated.v2 data")?;
            let mut out = std::io::stdout().lock();
            serde_json::to_writer(&mut out, &part).context("writing JSON")?;
            writeln!(out).context("writing JSON")?;
            Ok(())
        }
    }
}
