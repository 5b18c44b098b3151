//! Starting tauri-driver and a WebDriver session on the real app window.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

/// How long tauri-driver may take to listen, and to stop after SIGTERM.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(15);
const DRIVER_STOP_TIMEOUT: Duration = Duration::from_secs(5);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

fn path_from_env(var: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or(default)
}

pub fn app_binary() -> PathBuf {
    path_from_env("HOPSCOPE_APP_BIN", repo_root().join("target/debug/hopscope-app"))
}

pub fn tauri_driver_binary() -> PathBuf {
    path_from_env("TAURI_DRIVER", repo_root().join(".tools/bin/tauri-driver"))
}

pub fn artifacts_dir() -> PathBuf {
    path_from_env("HOPSCOPE_ARTIFACTS", repo_root().join("artifacts"))
}

/// Fails with the fix when the display, the app or tauri-driver is missing,
/// instead of letting WebKitWebDriver hang or time out.
pub fn check_prerequisites() -> Result<()> {
    if std::env::var_os("DISPLAY").filter(|v| !v.is_empty()).is_none() {
        bail!("no X display: DISPLAY is unset; run the GUI test under `xvfb-run -a` (make test does)");
    }
    let app = app_binary();
    if !app.is_file() {
        bail!(
            "the app binary {} does not exist; build it with `make build` (npm run build in ui/, then cargo build -p hopscope-app) or set HOPSCOPE_APP_BIN",
            app.display()
        );
    }
    let driver = tauri_driver_binary();
    if !driver.is_file() {
        bail!(
            "tauri-driver {} does not exist; install it with `make tools` or set TAURI_DRIVER",
            driver.display()
        );
    }
    Ok(())
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// A running tauri-driver on ports of its own. Dropping it sends SIGTERM,
/// because tauri-driver stops its WebKitWebDriver child only on SIGTERM or
/// SIGINT; a SIGKILL would leave WebKitWebDriver holding its port.
pub struct TauriDriver {
    child: Child,
    port: u16,
}

impl TauriDriver {
    /// Starts tauri-driver with `env` added to the environment that it, the
    /// WebKitWebDriver it starts and the app inherit. Its output goes to
    /// `log`.
    pub fn start(log: &Path, env: &[(&str, &Path)]) -> Result<TauriDriver> {
        let port = free_port()?;
        let native_port = free_port()?;
        let log_file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(tauri_driver_binary());
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        for (name, value) in env {
            command.env(name, value);
        }
        // Its own process group, so a driver that ignores SIGTERM can be
        // killed together with WebKitWebDriver and the app.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().with_context(|| format!("starting {}", tauri_driver_binary().display()))?;
        let mut driver = TauriDriver { child, port };

        // tauri-driver listens before its WebKitWebDriver child does, and a
        // session request in between fails with "connection refused".
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        for (what, listening_port) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            while TcpStream::connect(("127.0.0.1", listening_port)).is_err() {
                if let Some(status) = driver.child.try_wait()? {
                    bail!("tauri-driver exited with {status} before {what} listened; see {}", log.display());
                }
                if Instant::now() > deadline {
                    bail!(
                        "{what} did not listen on port {listening_port} within {DRIVER_START_TIMEOUT:?}; see {}",
                        log.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(driver)
    }

    /// Opens a session: tauri-driver starts the app with `--workspace`.
    pub async fn session(&self, workspace: &Path) -> Result<Client> {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({
                "application": app_binary(),
                "args": ["--workspace", workspace],
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("opening a WebDriver session on the app through tauri-driver")
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + DRIVER_STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("tauri-driver ignored SIGTERM for {DRIVER_STOP_TIMEOUT:?}; killing its process group");
        // SAFETY: a negative pid addresses the process group created at spawn.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
