//! Sums token usage records per model.
//!
//! Input has one record per line: `<model> <input_tokens> <output_tokens>`, separated by
//! whitespace. Blank lines and lines starting with `#` are ignored.
//!
//! The same [`run`] entry point serves the `sample-usage` binary and, with the `pyo3` feature,
//! the `sample-usage` console script of the Python package.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};

/// Name of the command, as printed by `--version` and in messages.
pub const NAME: &str = "sample-usage";

const HELP: &str = "\
Sum token usage records per model.

Usage:
  sample-usage sum [FILE]...
  sample-usage --help | -h
  sample-usage --version | -V

Each record is one line: <model> <input_tokens> <output_tokens>.
Blank lines and lines starting with '#' are ignored.
With no FILE, or when FILE is '-', records are read from standard input.
";

/// Exit code for bad input or I/O failures.
const EXIT_FAILURE: i32 = 1;
/// Exit code for a malformed command line, as most Unix tools use.
const EXIT_USAGE: i32 = 2;

/// The crate version, which the release pipeline sets from the git tag.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Token counts of one record, or a sum of records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
}

impl Usage {
    pub fn new(input: u64, output: u64) -> Self {
        Self { input, output }
    }

    /// Input plus output tokens, or `None` if that overflows.
    pub fn total(self) -> Option<u64> {
        self.input.checked_add(self.output)
    }

    /// Adds two usages, or returns `None` on overflow: a wrong total is worse than none.
    pub fn checked_add(self, other: Usage) -> Option<Usage> {
        Some(Usage {
            input: self.input.checked_add(other.input)?,
            output: self.output.checked_add(other.output)?,
        })
    }
}

/// Usage per model, sorted by model name so the report is stable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub per_model: BTreeMap<String, Usage>,
}

impl Summary {
    /// Adds one record; `None` on overflow.
    pub fn add(&mut self, model: &str, usage: Usage) -> Option<()> {
        let entry = self.per_model.entry(model.to_owned()).or_default();
        *entry = entry.checked_add(usage)?;
        Some(())
    }

    /// Usage over all models; `None` on overflow.
    pub fn total(&self) -> Option<Usage> {
        self.per_model
            .values()
            .try_fold(Usage::default(), |acc, usage| acc.checked_add(*usage))
    }

    /// Writes the per-model table followed by a `total` row.
    pub fn write_report(&self, out: &mut dyn Write) -> Result<(), Error> {
        let total = self.total().ok_or(Error::Overflow)?;
        let width = self
            .per_model
            .keys()
            .map(|model| model.chars().count())
            .chain(["model".len(), "total".len()])
            .max()
            .unwrap_or(0);
        writeln!(
            out,
            "{:<width$} {:>12} {:>12} {:>12}",
            "model", "input", "output", "total"
        )?;
        for (model, usage) in &self.per_model {
            write_row(out, width, model, *usage)?;
        }
        write_row(out, width, "total", total)
    }
}

fn write_row(out: &mut dyn Write, width: usize, label: &str, usage: Usage) -> Result<(), Error> {
    let total = usage.total().ok_or(Error::Overflow)?;
    writeln!(
        out,
        "{label:<width$} {:>12} {:>12} {total:>12}",
        usage.input, usage.output
    )?;
    Ok(())
}

/// Why a summary could not be made.
#[derive(Debug)]
pub enum Error {
    Io(io::Error),
    /// A malformed record; `line` counts from 1.
    Parse {
        line: usize,
        message: String,
    },
    Overflow,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(err) => write!(f, "{err}"),
            Error::Parse { line, message } => write!(f, "line {line}: {message}"),
            Error::Overflow => f.write_str("token count overflows 64 bits"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Io(err)
    }
}

/// Parses one line: `Ok(None)` for blank lines and comments.
pub fn parse_record(line: &str) -> Result<Option<(&str, Usage)>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [model, input, output] = fields[..] else {
        return Err(format!(
            "expected '<model> <input_tokens> <output_tokens>', found {} field(s)",
            fields.len()
        ));
    };
    let count = |field: &str, what: &str| {
        field
            .parse::<u64>()
            .map_err(|_| format!("{what} tokens must be a whole number, found '{field}'"))
    };
    Ok(Some((
        model,
        Usage::new(count(input, "input")?, count(output, "output")?),
    )))
}

/// Adds every record read from `reader` to `summary`.
pub fn summarize_into(summary: &mut Summary, reader: impl BufRead) -> Result<(), Error> {
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        let record = parse_record(&line).map_err(|message| Error::Parse {
            line: index + 1,
            message,
        })?;
        if let Some((model, usage)) = record {
            summary.add(model, usage).ok_or(Error::Overflow)?;
        }
    }
    Ok(())
}

/// Sums all records read from `reader`.
pub fn summarize(reader: impl BufRead) -> Result<Summary, Error> {
    let mut summary = Summary::default();
    summarize_into(&mut summary, reader)?;
    Ok(summary)
}

/// Runs the CLI with the process's standard streams and returns the exit code.
///
/// `args[0]` is the program name, as in `std::env::args` and Python's `sys.argv`.
pub fn run(args: &[String]) -> i32 {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut stderr = io::stderr();
    let code = run_with(args, &mut stdin.lock(), &mut out, &mut stderr);
    // Inside Python, Rust's runtime never flushes stdout at exit, so flush here.
    match out.flush() {
        Ok(()) => code,
        // A failed run has already said why; the flush would only fail the same way again.
        Err(_) if code != 0 => code,
        Err(err) => output_failure(&mut stderr, &err),
    }
}

/// Reports a failed write to stdout and returns the exit code.
fn output_failure(stderr: &mut dyn Write, err: &io::Error) -> i32 {
    // Rust ignores SIGPIPE, so `sample-usage sum | head -1` ends here: the reader left on
    // purpose, so stay quiet like a tool killed by SIGPIPE, but still report the truncation.
    if err.kind() != io::ErrorKind::BrokenPipe {
        let _ = writeln!(stderr, "{NAME}: cannot write output: {err}");
    }
    EXIT_FAILURE
}

/// Runs the CLI against the given streams; the testable core of [`run`].
pub fn run_with(
    args: &[String],
    stdin: &mut dyn BufRead,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let args: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let result = match args.as_slice() {
        ["--help" | "-h" | "help"] => stdout.write_all(HELP.as_bytes()).map(|()| 0),
        ["--version" | "-V"] => writeln!(stdout, "{NAME} {}", version()).map(|()| 0),
        ["sum", files @ ..] => return sum(files, stdin, stdout, stderr),
        [] => {
            let _ = stderr.write_all(HELP.as_bytes());
            return EXIT_USAGE;
        }
        [other, ..] => {
            let _ = writeln!(
                stderr,
                "{NAME}: unknown command or option '{other}'; try '{NAME} --help'"
            );
            return EXIT_USAGE;
        }
    };
    result.unwrap_or_else(|err| output_failure(stderr, &err))
}

fn sum(
    files: &[&str],
    stdin: &mut dyn BufRead,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let sources: &[&str] = if files.is_empty() { &["-"] } else { files };
    let mut summary = Summary::default();
    for source in sources {
        let result = if *source == "-" {
            summarize_into(&mut summary, &mut *stdin)
        } else {
            File::open(source)
                .map_err(Error::from)
                .and_then(|file| summarize_into(&mut summary, BufReader::new(file)))
        };
        if let Err(err) = result {
            let name = if *source == "-" { "<stdin>" } else { source };
            let _ = writeln!(stderr, "{NAME}: {name}: {err}");
            return EXIT_FAILURE;
        }
    }
    match summary.write_report(stdout) {
        Ok(()) => 0,
        Err(Error::Io(err)) => output_failure(stderr, &err),
        Err(err) => {
            let _ = writeln!(stderr, "{NAME}: {err}");
            EXIT_FAILURE
        }
    }
}

/// The `sample_usage._native` extension module of the Python package.
#[cfg(feature = "pyo3")]
#[pyo3::pymodule]
mod _native {
    use pyo3::prelude::*;

    /// The version of the compiled extension, which is also the package version.
    #[pyfunction]
    fn version() -> &'static str {
        crate::version()
    }

    /// Runs the CLI with `argv` (as in `sys.argv`) and returns its exit code.
    #[pyfunction]
    fn run(py: Python<'_>, argv: Vec<String>) -> i32 {
        // Reading stdin may block for long; other Python threads can run meanwhile.
        py.detach(|| crate::run(&argv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str], stdin: &str) -> (i32, String, String) {
        let args: Vec<String> = std::iter::once(NAME)
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(&args, &mut stdin.as_bytes(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn version_is_the_cargo_version() {
        assert_eq!(version(), env!("CARGO_PKG_VERSION"));
        assert_eq!(
            cli(&["--version"], ""),
            (0, format!("sample-usage {}\n", version()), String::new())
        );
        assert_eq!(cli(&["-V"], "").1, cli(&["--version"], "").1);
    }

    #[test]
    fn parses_records_and_skips_comments() {
        assert_eq!(
            parse_record("  gpt-5\t120  45 "),
            Ok(Some(("gpt-5", Usage::new(120, 45))))
        );
        assert_eq!(parse_record(""), Ok(None));
        assert_eq!(parse_record("   # a comment"), Ok(None));
    }

    #[test]
    fn rejects_malformed_records() {
        assert!(parse_record("gpt-5 120")
            .unwrap_err()
            .contains("2 field(s)"));
        assert!(parse_record("gpt-5 12x 4")
            .unwrap_err()
            .contains("input tokens"));
        assert!(parse_record("gpt-5 1 -4")
            .unwrap_err()
            .contains("output tokens"));
    }

    #[test]
    fn sums_per_model() {
        let summary = summarize("a 1 2\nb 10 20\n# skip\n\na 100 200\n".as_bytes()).unwrap();
        assert_eq!(summary.per_model["a"], Usage::new(101, 202));
        assert_eq!(summary.per_model["b"], Usage::new(10, 20));
        assert_eq!(summary.total(), Some(Usage::new(111, 222)));
    }

    #[test]
    fn reports_overflow_instead_of_wrapping() {
        let input = format!("a {} 0\na 1 0\n", u64::MAX);
        assert!(matches!(summarize(input.as_bytes()), Err(Error::Overflow)));
        let mut summary = Summary::default();
        summary.add("a", Usage::new(u64::MAX, 1)).unwrap();
        assert!(summary.write_report(&mut Vec::new()).is_err());
    }

    #[test]
    fn sum_prints_a_table_from_stdin() {
        let (code, out, err) = cli(&["sum"], "gpt-5 120 45\no3 10 5\ngpt-5 80 55\n");
        assert_eq!((code, err.as_str()), (0, ""));
        let rows: Vec<Vec<&str>> = out
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            rows,
            [
                ["model", "input", "output", "total"],
                ["gpt-5", "200", "100", "300"],
                ["o3", "10", "5", "15"],
                ["total", "210", "105", "315"],
            ]
        );
    }

    #[test]
    fn sum_names_the_bad_line() {
        let (code, out, err) = cli(&["sum", "-"], "a 1 2\nbroken\n");
        assert_eq!((code, out.as_str()), (1, ""));
        assert!(err.contains("<stdin>: line 2:"), "{err}");
    }

    #[test]
    fn sum_reports_missing_files() {
        let (code, _, err) = cli(&["sum", "/nonexistent/usage.txt"], "");
        assert_eq!(code, 1);
        assert!(err.contains("/nonexistent/usage.txt"), "{err}");
    }

    #[test]
    fn usage_errors_exit_with_2() {
        let (code, out, err) = cli(&[], "");
        assert_eq!((code, out.as_str()), (2, ""));
        assert!(err.contains("Usage:"));
        let (code, _, err) = cli(&["--frobnicate"], "");
        assert_eq!(code, 2);
        assert!(err.contains("'--frobnicate'"), "{err}");
    }

    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn closed_stdout_fails_quietly() {
        let args = [NAME, "sum"].map(String::from);
        let mut err = Vec::new();
        let code = run_with(&args, &mut "a 1 2\n".as_bytes(), &mut ClosedPipe, &mut err);
        assert_eq!((code, err.as_slice()), (1, &b""[..]));
    }

    #[test]
    fn help_goes_to_stdout() {
        let (code, out, err) = cli(&["--help"], "");
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.starts_with("Sum token usage"));
    }
}
