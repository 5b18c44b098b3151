//! Shared helpers for the end-to-end tests.
//!
//! Every test gets an [`Env`]: its own temporary directory holding the
//! workspace file, the passphrase file and the data directory, so no test
//! reads or writes the real home. Commands run as real processes with that
//! directory as their working directory, so file arguments can be relative.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The workspace passphrase of every test workspace. It is distinctive so
/// a test can search output and files for it.
pub const PASSPHRASE: &str = "vellum-osprey-4417 tangerine";

/// File names inside an [`Env`] directory.
pub const WORKSPACE_FILE: &str = "ws.db";
pub const PASSPHRASE_FILE: &str = "passphrase";
pub const DATA_DIR: &str = "data";

/// Environment variables of the `hopscope` command that the tests set or
/// clear, so a value in the caller's shell cannot change a test.
const HOPSCOPE_VARIABLES: &[&str] = &[
    "HOPSCOPE_WORKSPACE",
    "HOPSCOPE_PASSPHRASE_FILE",
    "HOPSCOPE_FAILPOINT",
    "HOPSCOPE_LOG",
];

/// Finds the `hopscope` binary: `$HOPSCOPE_BIN`, else `target/debug/hopscope`
/// in the repository. Panics with the build command when it is missing.
pub fn hopscope_bin() -> PathBuf {
    let path = match std::env::var_os("HOPSCOPE_BIN").filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/hopscope"),
    };
    assert!(
        path.is_file(),
        "the hopscope binary is missing at {}; build it with `cargo build -p hopscope-cli` (or run `make test`), \
         or set HOPSCOPE_BIN to its path",
        path.display()
    );
    path
}

/// One finished process: the command line, exit status and output.
pub struct Run {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Returns the exit code, or `None` when a signal ended the process.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn success(&self) -> bool {
        self.status.success()
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.command)?;
        writeln!(f, "status:  {}", self.status)?;
        writeln!(f, "stdout:\n{}", self.stdout.trim_end())?;
        write!(f, "stderr:\n{}", self.stderr.trim_end())
    }
}

/// Runs a prepared command to its end and records its output.
pub fn run(mut command: Command) -> Run {
    let line = command_line(&command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start `{line}`: {e}"));
    Run {
        command: line,
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Formats the command as a shell line with the Hopscope variables it sets or
/// removes. Paths are shortened to file names, as they lie in the test directory.
fn command_line(command: &Command) -> String {
    let mut parts = Vec::new();
    for (key, value) in command.get_envs() {
        let key = key.to_string_lossy();
        if !key.starts_with("HOPSCOPE_") {
            continue;
        }
        match value {
            Some(value) => parts.push(format!("{key}={}", file_name(&value.to_string_lossy()))),
            None if key == "HOPSCOPE_WORKSPACE" || key == "HOPSCOPE_PASSPHRASE_FILE" => {
                parts.insert(0, format!("env -u {key}"))
            }
            None => {}
        }
    }
    parts.push(file_name(&command.get_program().to_string_lossy()));
    parts.extend(command.get_args().map(|a| shell_word(&a.to_string_lossy())));
    parts.join(" ")
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// SHA-256 of a file as lowercase hex, `None` when the file does not exist.
pub fn sha256_file(path: &Path) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => Some(hex::encode(Sha256::digest(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

/// A test's own directory with a workspace path, a passphrase file and a data
/// directory. The directory is deleted when the value is dropped.
pub struct Env {
    dir: TempDir,
}

impl Env {
    /// Creates a directory with the passphrase file and no workspace yet.
    pub fn new() -> Env {
        let dir = tempfile::Builder::new()
            .prefix("hopscope-e2e-")
            .tempdir()
            .expect("cannot create a temporary directory");
        let env = Env { dir };
        env.write(PASSPHRASE_FILE, format!("{PASSPHRASE}\n"));
        std::fs::create_dir_all(env.path(DATA_DIR)).expect("cannot create the data directory");
        env
    }

    /// Creates a directory with a new workspace.
    pub fn init() -> Env {
        let env = Env::new();
        env.ok(&["init"]);
        env
    }

    /// Creates a directory with a workspace holding the authorities `root` and
    /// `inter` (an intermediate under `root`), both ECDSA P-256. The
    /// workspace is a copy of one made once per test process, because
    /// creating authorities in every test costs seconds.
    pub fn with_authorities() -> Env {
        static TEMPLATE: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
        TEMPLATE
            .get_or_init(|| {
                let env = Env::init();
                env.ok(&["authority", "create", "root"]);
                env.ok(&["authority", "create", "inter", "--parent", "root"]);
                env.snapshot()
            })
            .restore()
    }

    /// Creates a directory with a workspace holding the demo network of
    /// `hopscope demo`, copied from one made once per test process.
    pub fn with_demo() -> Env {
        static TEMPLATE: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
        TEMPLATE
            .get_or_init(|| {
                let env = Env::new();
                env.ok(&["demo"]);
                env.snapshot()
            })
            .restore()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Returns the path of `name` inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn workspace(&self) -> PathBuf {
        self.path(WORKSPACE_FILE)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        let path = self.path(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    pub fn read_text(&self, name: &str) -> String {
        String::from_utf8(self.read(name)).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"))
    }

    /// Prepares a `hopscope` command with this directory's workspace, passphrase
    /// file and data directory, and no other Hopscope variable from the caller.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(hopscope_bin());
        for variable in HOPSCOPE_VARIABLES {
            command.env_remove(variable);
        }
        command
            .args(args)
            .current_dir(self.dir())
            .env("HOPSCOPE_WORKSPACE", self.workspace())
            .env("HOPSCOPE_PASSPHRASE_FILE", self.path(PASSPHRASE_FILE))
            .env("XDG_DATA_HOME", self.path(DATA_DIR))
            .env("HOME", self.dir());
        command
    }

    /// Runs `hopscope ARGS` and returns the outcome, whatever it is.
    pub fn run(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// Runs `hopscope ARGS` and panics unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> Run {
        let outcome = self.run(args);
        assert!(outcome.success(), "expected success\n{outcome}");
        outcome
    }

    /// Runs `hopscope ARGS` (which should include `--json`), panics unless it
    /// succeeds, and parses its standard output.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let outcome = self.ok(args);
        serde_json::from_str(&outcome.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{outcome}"))
    }

    /// Runs `hopscope ARGS`, which must fail, and returns the outcome. Asserts
    /// exit status `exit` (1 for an error, 2 for a usage error) and an error
    /// line on stderr containing each of `message`. For status 1, stderr must
    /// be that one line. No secret may reach stderr, and the workspace file
    /// must be byte-for-byte unchanged.
    pub fn assert_rejected(&self, args: &[&str], exit: i32, message: &[&str]) -> Run {
        let before = sha256_file(&self.workspace());
        let outcome = self.run(args);

        assert_eq!(outcome.code(), Some(exit), "expected exit status {exit}\n{outcome}");
        let prefix = if exit == 1 { "hopscope: error: " } else { "error: " };
        let error_line = outcome.stderr.lines().find(|line| line.starts_with(prefix));
        assert!(error_line.is_some(), "expected a line on stderr starting with `{prefix}`\n{outcome}");
        // clap prints the usage and a hint after a usage error, so the
        // one-line rule applies to exit status 1 only.
        if exit == 1 {
            assert_eq!(outcome.stderr.lines().count(), 1, "expected exactly one line on stderr\n{outcome}");
        }
        let error_line = error_line.unwrap_or_default();
        for part in message {
            assert!(error_line.contains(part), "expected the error to contain {part:?}\n{outcome}");
        }
        assert!(!outcome.stderr.contains(PASSPHRASE), "the workspace passphrase must not reach stderr\n{outcome}");
        assert!(!outcome.stderr.contains("PRIVATE KEY"), "no key material may reach stderr\n{outcome}");
        assert_eq!(sha256_file(&self.workspace()), before, "the failed command must leave {WORKSPACE_FILE} unchanged\n{outcome}");
        outcome
    }

    /// Runs `openssl ARGS` in this directory.
    pub fn openssl(&self, args: &[&str]) -> Run {
        let mut command = Command::new("openssl");
        command.args(args).current_dir(self.dir());
        run(command)
    }

    /// Runs `openssl ARGS` and panics unless it succeeds.
    pub fn openssl_ok(&self, args: &[&str]) -> Run {
        let outcome = self.openssl(args);
        assert!(outcome.success(), "expected openssl to succeed\n{outcome}");
        outcome
    }

    /// Returns the public key of the certificate in `file` (the first one of a
    /// PEM chain) as PEM from `openssl x509 -pubkey`.
    pub fn certificate_public_key(&self, file: &str) -> String {
        self.openssl_ok(&["x509", "-in", file, "-noout", "-pubkey"]).stdout
    }

    /// Returns the public key of the private key in `file` as PEM from
    /// `openssl pkey -pubout`. For an encrypted key, `passin` is an openssl
    /// pass phrase argument such as `file:pw`.
    pub fn private_key_public_key(&self, file: &str, passin: Option<&str>) -> String {
        let mut args = vec!["pkey", "-in", file, "-pubout"];
        if let Some(passin) = passin {
            args.extend(["-passin", passin]);
        }
        self.openssl_ok(&args).stdout
    }

    /// Issues a credential under `inter` with the default key type and
    /// validity.
    pub fn issue(&self, name: &str, role: &str, url: &str) {
        self.ok(&["cert", "issue", name, "--role", role, "--authority", "inter", "--url", url]);
    }

    /// Copies the top-level files of the directory into memory, to restore them
    /// in other tests.
    pub fn snapshot(&self) -> Snapshot {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(self.dir()).expect("cannot list the test directory") {
            let entry = entry.expect("cannot list the test directory");
            if entry.file_type().expect("cannot stat a test file").is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.push((name.clone(), self.read(&name)));
            }
        }
        Snapshot { files }
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

/// The files of an [`Env`] directory, kept in memory.
pub struct Snapshot {
    files: Vec<(String, Vec<u8>)>,
}

impl Snapshot {
    /// Creates a new [`Env`] holding copies of the files.
    pub fn restore(&self) -> Env {
        let env = Env::new();
        for (name, bytes) in &self.files {
            env.write(name, bytes);
        }
        env
    }
}

/// Splits a text into its PEM blocks in order, each as its label (such as
/// `CERTIFICATE`) and its whole text from BEGIN to END with a final newline.
pub fn pem_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
            current = Some((label.to_string(), String::new()));
        }
        if let Some((label, block)) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
            if line == format!("-----END {label}-----") {
                blocks.extend(current.take());
            }
        }
    }
    blocks
}

/// Returns the path of the script the hopscope-trust tests sign UDAP client
/// assertions with. `pyjwt_sign.py KEY_PEM CHAIN_PEM ISS AUD` prints a
/// compact JWT signed by PyJWT, with `iss` = `sub` = ISS, `aud` = AUD,
/// `exp` = `iat` + 300, a random `jti` and the chain in `x5c`.
pub fn pyjwt_sign_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/hopscope-trust/tests/pyjwt_sign.py")
}

/// Returns the python of the virtualenv `<target_dir>/pyenv` with PyJWT and
/// cryptography, creating it with pip on first use. The hopscope-trust
/// tests create and use the same virtualenv with the same ready marker, so
/// one of them installs it for both. Panics naming the cause when python3,
/// its venv module or PyPI is missing.
pub fn pyjwt_python(target_dir: &Path) -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| set_up_pyjwt_virtualenv(target_dir)).clone()
}

fn set_up_pyjwt_virtualenv(target_dir: &Path) -> PathBuf {
    python_virtualenv(target_dir, "pyenv", &["pyjwt>=2.8,<3", "cryptography>=41"])
}

/// Returns the python of the virtualenv `<target_dir>/<name>` with
/// `packages`, creating it with pip on first use. Panics naming the cause
/// when python3, its venv module or PyPI is missing.
pub fn python_virtualenv(target_dir: &Path, name: &str, packages: &[&str]) -> PathBuf {
    let venv = target_dir.join(name);
    let python = venv.join("bin").join("python");
    // Written last, so a run interrupted during pip install starts over.
    let ready = venv.join(".hopscope-ready");
    if ready.exists() && python.exists() {
        return python;
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).unwrap_or_else(|e| panic!("cannot remove {}: {e}", venv.display()));
    }

    let mut command = Command::new("python3");
    command.args(["-m", "venv"]).arg(&venv);
    let created = run(command);
    assert!(created.success(), "creating the virtualenv failed; on Debian install the python3-venv package\n{created}");

    let mut command = Command::new(&python);
    command
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
        .args(packages);
    let installed = run(command);
    assert!(installed.success(), "pip could not install {packages:?}; check that PyPI is reachable\n{installed}");
    std::fs::write(&ready, "").unwrap_or_else(|e| panic!("cannot write {}: {e}", ready.display()));
    python
}
