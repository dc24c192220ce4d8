//! The command line: `profdiff [serve]` runs the web app, `profdiff stats` prints what
//! `python -m pstats` would.
//!
//! Exit codes: 0 success, 2 bad input or usage (one line on stderr naming the file), 1 a
//! server that failed at run time.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::engine::compare::export::{self, Format};
use crate::engine::compare::runs::{compare_runs, matrix};
use crate::engine::compare::{self, Metric, Options, SortField};
use crate::engine::pyfmt::ctime_utc;
use crate::engine::{Profile, Report, Restriction, SortKey, Source};
use crate::server::{self, Config};

#[derive(Parser, Debug)]
#[command(
    name = "profdiff",
    version,
    about = "Read and compare Python profile dumps"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default when no command is given).
    Serve {
        /// Configuration file [default: Leptos.toml; env PROFDIFF_CONFIG].
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a pstats report, byte for byte as CPython's pstats module prints it.
    ///
    /// Several files are merged as pstats.Stats(FILE1, FILE2, ...) does. Restrictions
    /// (--limit, --filter) apply in the order given, like print_stats(*restrictions).
    Stats(StatsArgs),
    /// Compare two profiles (BASE CAND), or repeated runs (--baseline A1 A2 ... --candidate
    /// B1 B2 ...): which functions got slower or faster.
    ///
    /// Exit codes: 0 done, 1 regression beyond --fail-on-regression, 2 bad input.
    Diff(DiffArgs),
    /// K profiles in order: each function's time in each, and the first-to-last change.
    Matrix(MatrixArgs),
    /// A flame graph of one profile (FILE), or the differential one of two (BASE CAND), as
    /// a self-contained SVG (click to zoom, search) or folded stacks.
    ///
    /// From stacks (sampled formats) the call tree is exact; from pstats it is estimated by
    /// sharing each function's time among its callers by per-edge time (frames say so).
    Flame(FlameArgs),
    /// Merge runs into one profile: traced dumps add up as pstats.Stats.add adds them (the
    /// output is a pstats dump), sampled ones sum their samples (folded stacks when the
    /// inputs have stacks, so the flame graph stays exact).
    Merge(MergeArgs),
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Two or more profiles of one profiler, merged in the order given.
    #[arg(required = true, num_args = 2..)]
    pub files: Vec<PathBuf>,
    /// Where to write the merged profile.
    #[arg(short, long, value_name = "OUT", required = true)]
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct FlameArgs {
    /// FILE, or BASE CAND for the differential graph.
    #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write here instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// svg, or folded (`frame;frame;... N`: integer microseconds, or samples for sampled
    /// profiles; two files give `... A B`, flamegraph.pl's differential input).
    #[arg(long, default_value = "svg", value_parser = ["svg", "folded"])]
    pub format: String,
    /// Root on top (icicle) instead of at the bottom.
    #[arg(long)]
    pub icicle: bool,
    /// Width of a frame in a differential graph: the larger side, or the candidate.
    #[arg(long, default_value = "larger", value_parser = ["larger", "candidate"])]
    pub size_by: String,
    /// Colour by the change of each frame's share of its total, not of absolute time.
    #[arg(long)]
    pub share: bool,
    /// Colours safe for colour-blind readers (Okabe–Ito).
    #[arg(long)]
    pub colorblind: bool,
    /// Scale the candidate so both totals are equal.
    #[arg(long)]
    pub normalize: bool,
    /// Time that decides a frame's colour: its own (tottime) or with its callees (cumtime).
    #[arg(long, default_value = "cumtime", value_parser = ["tottime", "cumtime"])]
    pub metric: String,
    /// A change is coloured only if at least this many milliseconds...
    #[arg(long, default_value_t = 1.0, value_name = "MS")]
    pub min_ms: f64,
    /// ...and at least this many percent.
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    pub min_pct: f64,
    /// Frames narrower than this share of the total fold into "other".
    #[arg(long, default_value_t = 1e-4, value_name = "FRACTION")]
    pub min_fraction: f64,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1200.0)]
    pub width: f64,
}

#[derive(clap::Args, Debug)]
pub struct CompareOpts {
    /// Time that decides each function's status.
    #[arg(long, default_value = "tottime", value_parser = ["tottime", "cumtime"])]
    pub metric: String,
    /// A change counts only if at least this many milliseconds...
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "MS",
        allow_negative_numbers = true
    )]
    pub min_ms: f64,
    /// ...and at least this many percent.
    #[arg(
        long,
        default_value_t = 5.0,
        value_name = "PCT",
        allow_negative_numbers = true
    )]
    pub min_pct: f64,
    /// Rows to show in text and Markdown (CSV and JSON always hold all rows).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "markdown", "md", "csv", "json", "html"])]
    pub format: String,
    /// Write the output to this file instead of stdout (e.g. `--format html -o report.html`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl CompareOpts {
    fn options(&self, normalize: bool) -> Result<Options, String> {
        let bad = |x: f64| x.is_nan() || x < 0.0;
        if bad(self.min_ms) || bad(self.min_pct) {
            return Err("--min-ms and --min-pct must be zero or more".into());
        }
        Ok(Options {
            metric: Metric::parse(&self.metric).expect("clap checked the metric"),
            normalize,
            min_ms: self.min_ms,
            min_pct: self.min_pct,
            alpha: compare::DEFAULT_ALPHA,
            test: crate::engine::stats::TestKind::MannWhitneyU,
        })
    }

    fn format(&self) -> Format {
        Format::parse(&self.format).expect("clap checked the format")
    }
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// BASE CAND: the baseline dump and the candidate dump.
    #[arg(num_args = 0..=2, value_name = "BASE CAND")]
    pub files: Vec<PathBuf>,
    /// Baseline runs (repeated measurements of the old code).
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "files", requires = "candidate")]
    pub baseline: Vec<PathBuf>,
    /// Candidate runs (repeated measurements of the new code).
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "files", requires = "baseline")]
    pub candidate: Vec<PathBuf>,
    /// Scale the candidate so both totals are equal (compare shapes, not machines).
    #[arg(long)]
    pub normalize: bool,
    /// Row order: delta (signed, regressions first), pct, ratio, baseline, candidate,
    /// calls, name.
    #[arg(long, default_value = "delta")]
    pub sort: String,
    /// Also show callers and callees, on both sides, of the functions whose name matches
    /// this regular expression (at most 5).
    #[arg(long, value_name = "REGEX")]
    pub function: Option<String>,
    /// Exit with status 1 if total time, or any function past the thresholds, got slower
    /// by more than PCT percent.
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub fail_on_regression: Option<f64>,
    /// Runs: a change counts only if its q-value (Mann–Whitney U p-value adjusted by
    /// Benjamini–Hochberg over all functions) is below this [default: 0.05].
    #[arg(long, value_name = "LEVEL", allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// Runs: the test behind each p-value — mann-whitney-u (rank test, the default) or
    /// welch-t (Welch's t-test on the times, as pyperf).
    #[arg(long, value_name = "TEST", value_parser = ["mann-whitney-u", "welch-t"])]
    pub test: Option<String>,
    #[command(flatten)]
    pub opts: CompareOpts,
}

#[derive(clap::Args, Debug)]
pub struct MatrixArgs {
    /// Two or more dumps, oldest first.
    #[arg(required = true, num_args = 2..)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub opts: CompareOpts,
}

#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// Profile dumps (.prof / .pstats) from cProfile, profile, yappi or pyinstrument.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Sort key as pstats takes it (calls, cumulative, cumtime, file, filename, line,
    /// module, name, ncalls, nfl, pcalls, stdname, time, tottime, or a unique prefix);
    /// repeat for secondary keys.
    #[arg(long, short)]
    pub sort: Vec<String>,
    /// Keep the first N lines (an integer) or that fraction of them (0.0 to 1.0).
    #[arg(long, value_name = "N|FRACTION", allow_hyphen_values = true)]
    pub limit: Vec<String>,
    /// Keep functions whose pstats name matches this regular expression.
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub filter: Vec<String>,
    /// Print who called each function (pstats print_callers).
    #[arg(long, conflicts_with = "callees")]
    pub callers: bool,
    /// Print what each function called (pstats print_callees).
    #[arg(long)]
    pub callees: bool,
    /// Strip directories from file names first (pstats strip_dirs).
    #[arg(long)]
    pub strip_dirs: bool,
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        None => serve(None),
        Some(Command::Serve { config }) => serve(config),
        Some(Command::Stats(args)) => {
            let sub = matches
                .subcommand_matches("stats")
                .expect("stats subcommand matched");
            let restrictions = match restrictions_in_order(sub) {
                Ok(r) => r,
                Err(e) => return fail(&e),
            };
            match stats(&args, &restrictions) {
                Ok(text) => write_stdout(&text),
                Err(e) => fail(&e),
            }
        }
        Some(Command::Diff(args)) => match diff(&args) {
            Ok((text, regressed)) => {
                let code = write_output(&text, args.opts.output.as_deref());
                if regressed {
                    eprintln!(
                        "profdiff: regression beyond {}%",
                        args.fail_on_regression.unwrap_or_default()
                    );
                    ExitCode::from(1)
                } else {
                    code
                }
            }
            Err(e) => fail(&e),
        },
        Some(Command::Matrix(args)) => match matrix_command(&args) {
            Ok(text) => write_output(&text, args.opts.output.as_deref()),
            Err(e) => fail(&e),
        },
        Some(Command::Merge(args)) => match merge_command(&args) {
            Ok(note) => {
                eprintln!("profdiff: {note}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Some(Command::Flame(args)) => match flame(&args) {
            Ok(text) => match &args.output {
                Some(path) => match std::fs::write(path, text) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(&format!("{}: {e}", path.display())),
                },
                None => write_stdout(&text),
            },
            Err(e) => fail(&e),
        },
    }
}

/// Reads and parses one dump; errors name the file.
pub fn load(path: &std::path::Path) -> Result<Profile, String> {
    let shown = path.display();
    let data = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    Profile::parse(&data).map_err(|e| format!("{shown}: {e}"))
}

/// A path's file name, for headings.
fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `profdiff merge`: writes the merged profile; says what it wrote.
pub fn merge_command(args: &MergeArgs) -> Result<String, String> {
    use crate::engine::merge::{MergedFormat, merge};
    let profiles = load_all(&args.files)?;
    let refs: Vec<&Profile> = profiles.iter().collect();
    let (bytes, format) = merge(&refs, usize::MAX).map_err(|e| e.to_string())?;
    std::fs::write(&args.output, &bytes).map_err(|e| format!("{}: {e}", args.output.display()))?;
    Ok(format!(
        "merged {} profiles into {} ({}, {} bytes)",
        profiles.len(),
        args.output.display(),
        match format {
            MergedFormat::Pstats => "pstats dump",
            MergedFormat::Folded => "folded stacks",
        },
        bytes.len()
    ))
}

fn load_all(paths: &[PathBuf]) -> Result<Vec<Profile>, String> {
    paths.iter().map(|p| load(p)).collect()
}

/// `profdiff diff`: the report text, and whether `--fail-on-regression` tripped.
pub fn diff(args: &DiffArgs) -> Result<(String, bool), String> {
    let field = SortField::parse(&args.sort).ok_or_else(|| {
        format!(
            "unknown --sort field {:?} (use one of: {})",
            args.sort,
            SortField::NAMES.join(", ")
        )
    })?;
    let mut options = args.opts.options(args.normalize)?;
    if let Some(alpha) = args.alpha {
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err("--alpha takes a level between 0 and 1 (e.g. 0.05)".into());
        }
        if args.baseline.is_empty() {
            return Err("--alpha applies to runs (--baseline ... --candidate ...)".into());
        }
        options.alpha = alpha;
    }
    if let Some(test) = &args.test {
        if args.baseline.is_empty() {
            return Err("--test applies to runs (--baseline ... --candidate ...)".into());
        }
        options.test = crate::engine::stats::TestKind::parse(test).expect("clap checked the test");
    }
    if let Some(p) = args.fail_on_regression
        && (p.is_nan() || p < 0.0)
    {
        return Err("--fail-on-regression takes a percentage of zero or more".into());
    }
    if !args.baseline.is_empty() {
        if args.normalize {
            return Err("--normalize applies to two profiles, not to runs".into());
        }
        let c = compare_runs(
            &load_all(&args.baseline)?,
            &load_all(&args.candidate)?,
            &options,
        );
        if args.fail_on_regression.is_some() && !c.can_reach_alpha() {
            eprintln!(
                "profdiff: warning: {} vs {} runs cannot reach alpha {} (smallest p {:.3}); \
                 --fail-on-regression cannot trip: record more runs",
                c.summary.baseline_runs,
                c.summary.candidate_runs,
                c.summary.test.alpha,
                c.summary.test.smallest_p
            );
        }
        let regressed = args
            .fail_on_regression
            .is_some_and(|p| c.regressed_beyond(p));
        if args.opts.format() == Format::Html {
            let (bn, cn) = (
                file_name(&args.baseline[0]) + " …",
                file_name(&args.candidate[0]) + " …",
            );
            let names = compare::html::Names {
                baseline: &bn,
                candidate: &cn,
            };
            return Ok((compare::html::runs(&c, &names), regressed));
        }
        return Ok((
            export::runs(&c, args.opts.format(), args.opts.limit),
            regressed,
        ));
    }
    let [base, cand] = &args.files[..] else {
        return Err("diff takes BASE CAND, or --baseline FILE... --candidate FILE...".into());
    };
    let (base, cand) = (load(base)?, load(cand)?);
    let mut c = compare::compare(&base, &cand, &options);
    if field != SortField::Delta {
        c.sort(field, false);
    }
    let regressed = args
        .fail_on_regression
        .is_some_and(|p| c.regressed_beyond(p));
    if args.opts.format() == Format::Html {
        if args.function.is_some() {
            return Err("--function does not apply to --format html".into());
        }
        let (bn, cn) = (file_name(&args.files[0]), file_name(&args.files[1]));
        let flame = crate::engine::flame_svg::differential(
            &base,
            &cand,
            &options,
            &format!("Differential flame graph: {bn} → {cn}"),
        );
        let names = compare::html::Names {
            baseline: &bn,
            candidate: &cn,
        };
        return Ok((compare::html::two_way(&c, &names, Some(&flame)), regressed));
    }
    let mut out = export::comparison(&c, args.opts.format(), args.opts.limit);
    if let Some(pattern) = &args.function {
        let re = regex::Regex::new(pattern)
            .map_err(|e| format!("--function: invalid regular expression: {e}"))?;
        let edges: Vec<_> = c
            .rows
            .iter()
            .filter(|r| re.is_match(&r.display))
            .take(5)
            .map(|r| compare::edges::edges(&base, &cand, &c, r))
            .collect();
        if edges.is_empty() {
            return Err(format!("--function: no function matches {pattern:?}"));
        }
        out = match args.opts.format() {
            Format::Json => format!(
                "{{\"comparison\": {}, \"edges\": {}}}\n",
                out.trim_end(),
                serde_json::to_string_pretty(&edges).unwrap_or_default()
            ),
            format => {
                out + &edges
                    .iter()
                    .map(|e| export::edges(e, format))
                    .collect::<String>()
            }
        };
    }
    Ok((out, regressed))
}

/// `profdiff flame`: the SVG or folded text.
pub fn flame(args: &FlameArgs) -> Result<String, String> {
    use crate::engine::flame::{self, ChangeBy, Limits};
    use crate::engine::flame_svg::{self, Palette, SizeBy, SvgOptions};
    let bad = |x: f64| !x.is_finite() || x < 0.0;
    if bad(args.min_ms) || bad(args.min_pct) {
        return Err("--min-ms and --min-pct must be zero or more".into());
    }
    if bad(args.min_fraction) || args.min_fraction >= 1.0 {
        return Err("--min-fraction takes a share from 0 up to (not including) 1".into());
    }
    if !(100.0..=100_000.0).contains(&args.width) {
        return Err("--width takes 100 to 100000 pixels".into());
    }
    let folded = args.format == "folded";
    let limits = if folded {
        Limits {
            min_fraction: args.min_fraction.min(1e-6),
            ..Limits::exhaustive()
        }
    } else {
        Limits {
            min_fraction: args.min_fraction,
            ..Limits::default()
        }
    };
    let options = Options {
        metric: Metric::parse(&args.metric).expect("clap checked the metric"),
        normalize: args.normalize,
        min_ms: args.min_ms,
        min_pct: args.min_pct,
        ..Options::default()
    };
    let name = |p: &PathBuf| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let (tree, title) = match &args.files[..] {
        [one] => (
            flame::tree(&load(one)?, &limits),
            format!("Flame graph: {}", name(one)),
        ),
        [a, b] => (
            flame::tree_of_two(&load(a)?, &load(b)?, &options, &limits),
            format!("Differential flame graph: {} → {}", name(a), name(b)),
        ),
        _ => unreachable!("clap takes one or two files"),
    };
    if tree.truncated {
        eprintln!(
            "profdiff: the call tree was cut at its node or depth limit; some detail is missing"
        );
    }
    if folded {
        return Ok(tree.folded());
    }
    let estimated = if tree.exact {
        ""
    } else {
        " (estimated from pstats edges)"
    };
    Ok(flame_svg::svg(
        &tree,
        &SvgOptions {
            title: format!("{title}{estimated}"),
            width: args.width,
            icicle: args.icicle,
            size_by: if args.size_by == "candidate" {
                SizeBy::Candidate
            } else {
                SizeBy::Larger
            },
            palette: if args.colorblind {
                Palette::ColorBlind
            } else {
                Palette::Classic
            },
            change: Some(ChangeBy {
                options,
                share: args.share,
            }),
        },
    ))
}

fn matrix_command(args: &MatrixArgs) -> Result<String, String> {
    let options = args.opts.options(false)?;
    let profiles = args
        .files
        .iter()
        .map(|p| Ok((p.display().to_string(), load(p)?)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(export::matrix(
        &matrix(&profiles, options.metric),
        args.opts.format(),
        args.opts.limit,
    ))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("profdiff: {message}");
    ExitCode::from(2)
}

/// Writes the report; a closed pipe (`| head`) is not an error.
/// To `path` when given, else stdout.
fn write_output(text: &str, path: Option<&std::path::Path>) -> ExitCode {
    match path {
        Some(p) => match std::fs::write(p, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("{}: {e}", p.display())),
        },
        None => write_stdout(text),
    }
}

fn write_stdout(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write output: {e}")),
    }
}

/// `--limit` and `--filter` values merged in command-line order.
fn restrictions_in_order(m: &ArgMatches) -> Result<Vec<Restriction>, String> {
    let mut all: Vec<(usize, Restriction)> = Vec::new();
    if let (Some(values), Some(indices)) = (m.get_many::<String>("limit"), m.indices_of("limit")) {
        for (v, i) in values.zip(indices) {
            let r = Restriction::parse_amount(v)
                .ok_or_else(|| format!("--limit takes an integer or a fraction, got {v:?}"))?;
            all.push((i, r));
        }
    }
    if let (Some(values), Some(indices)) = (m.get_many::<String>("filter"), m.indices_of("filter"))
    {
        all.extend(indices.zip(values.map(|v| Restriction::Regex(v.clone()))));
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

/// `profdiff stats`: loads, merges, sorts and prints.
pub fn stats(args: &StatsArgs, restrictions: &[Restriction]) -> Result<String, String> {
    let keys = args
        .sort
        .iter()
        .map(|w| SortKey::parse(w).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sources = Vec::with_capacity(args.files.len());
    // Sampled profiles get one line first saying how to read the pstats columns; traced
    // dumps print exactly what pstats prints.
    let mut notes = String::new();
    for path in &args.files {
        let shown = path.display().to_string();
        let profile = load(path)?;
        if let Some(s) = profile.sampling() {
            notes.push_str(&format!(
                "{shown}: sampled ({}), {} samples; ncalls = samples on the stack/running{}\n",
                profile.producer_label(),
                s.samples,
                if s.interval.is_none() {
                    "; times are sample counts (the file does not say the interval)"
                } else {
                    ""
                }
            ));
        }
        // pstats prints time.ctime(mtime) + "    " + the path as given.
        let label = match std::fs::metadata(path).and_then(|m| m.modified()) {
            Ok(t) => {
                let secs = match t.duration_since(std::time::UNIX_EPOCH) {
                    Ok(d) => d.as_secs() as i64,
                    Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
                };
                format!("{}    {shown}", ctime_utc(secs))
            }
            Err(_) => shown,
        };
        sources.push(Source {
            label,
            profile: profile.into(),
        });
    }
    let mut report = Report::new(sources);
    if args.strip_dirs {
        report.strip_dirs();
    }
    report.sort(&keys);
    let printed = if args.callers {
        report.print_callers(restrictions)
    } else if args.callees {
        report.print_callees(restrictions)
    } else {
        report.print_stats(restrictions)
    };
    Ok(notes + &printed)
}

fn serve(config_path: Option<PathBuf>) -> ExitCode {
    let config = match Config::load(config_path.as_deref(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(server::serve(config, crate::site::router));
    // Jobs still running past the grace period are not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("profdiff: {e}");
            ExitCode::FAILURE
        }
    }
}
