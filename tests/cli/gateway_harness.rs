//! The harness of the gateway tests: `hopscope gateway run --demo` as a
//! child process on the demo network's fixed ports, serialized through a
//! lock file, and curl as the originator.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hopscope_e2e::{run, Env};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Ports of the demo network: int-one, d-corp, int-two, b-corp.
pub(crate) const DEMO_PORTS: [u16; 4] = [8443, 9443, 9444, 9445];
pub(crate) const READY_LINE: &str = "gateway ready";
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(60);
pub(crate) const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) const D_CORP: &str = "https://fhir.int-one.test:8443/d-corp";
pub(crate) const B_CORP: &str = "https://fhir.b-corp.test:8443/r4";

/// Holds an exclusive lock on a file shared by every test process, because
/// the demo ports are fixed and two gateways cannot run at once.
pub(crate) struct PortLock {
    _file: std::fs::File,
}

impl PortLock {
    pub(crate) fn acquire() -> PortLock {
        let path = std::env::temp_dir().join("hopscope-demo-ports.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot open the lock file {}: {e}", path.display()));
        file.lock().unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        for port in DEMO_PORTS {
            if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
                panic!("port {port} on 127.0.0.1 is taken ({e}); the demo network needs ports {DEMO_PORTS:?}, so stop what listens there");
            }
        }
        PortLock { _file: file }
    }
}

/// A `hopscope gateway run --demo` child process.
pub(crate) struct Gateway {
    pub(crate) child: Child,
    /// Standard output lines, read by a thread so the pipe never fills.
    pub(crate) lines: mpsc::Receiver<String>,
    pub(crate) output: Vec<String>,
    pub(crate) cacert: PathBuf,
    _lock: PortLock,
}

impl Gateway {
    pub(crate) fn start(env: &Env) -> Gateway {
        Gateway::start_with(env, &[])
    }

    /// Starts `gateway run --demo --stub-destinations` with `extra`
    /// arguments: stubs, because the pass-through tests read Patients and
    /// Binary bodies without the access token a destination simulator
    /// requires.
    pub(crate) fn start_with(env: &Env, extra: &[&str]) -> Gateway {
        let mut args = vec!["gateway", "run", "--demo", "--stub-destinations"];
        args.extend_from_slice(extra);
        Gateway::spawn(env, &args)
    }

    /// Starts `gateway run --demo` with the destination simulators.
    pub(crate) fn start_simulators(env: &Env) -> Gateway {
        Gateway::spawn(env, &["gateway", "run", "--demo"])
    }

    fn spawn(env: &Env, args: &[&str]) -> Gateway {
        let lock = PortLock::acquire();
        let mut command = env.command(args);
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = command.spawn().expect("cannot start hopscope gateway run");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gateway = Gateway {
            child,
            lines,
            output: Vec::new(),
            cacert: PathBuf::new(),
            _lock: lock,
        };
        gateway.wait_for_line(READY_LINE, START_TIMEOUT);
        gateway.cacert = gateway.cacert_from_curl_lines();
        gateway
    }

    /// Reads output until a line contains `text`; panics with the output on
    /// a timeout or an early exit.
    pub(crate) fn wait_for_line(&mut self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.output.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => {
                    let status = self.child.try_wait().ok().flatten();
                    panic!(
                        "no line containing {text:?} within {timeout:?} (exit status {status:?}); output so far:\n{}",
                        self.output.join("\n")
                    );
                }
            }
        }
    }

    fn cacert_from_curl_lines(&self) -> PathBuf {
        let line = self
            .output
            .iter()
            .find(|l| l.starts_with("curl "))
            .unwrap_or_else(|| panic!("no curl line in the output:\n{}", self.output.join("\n")));
        let words: Vec<&str> = line.split_whitespace().collect();
        let position = words.iter().position(|w| *w == "--cacert").expect("curl line has --cacert");
        PathBuf::from(words[position + 1])
    }

    /// Sends SIGINT and waits for the exit status.
    pub(crate) fn interrupt(mut self) -> (ExitStatus, Vec<String>) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill with a valid signal on the child's own pid.
        let sent = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(sent, 0, "cannot send SIGINT to the gateway");
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("cannot wait for the gateway") {
                self.output.extend(self.lines.try_iter());
                return (status, std::mem::take(&mut self.output));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the gateway did not stop within {STOP_TIMEOUT:?} of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // A failed test must not leave the ports taken for the next one.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One curl request through the gateway.
pub(crate) struct Fetched {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Fetched {
    pub(crate) fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.body))
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Fetches `url` with curl as an originator would, tagging the exchange with
/// `exchange_id` so its records can be found.
pub(crate) fn curl(env: &Env, gateway: &Gateway, url: &str, exchange_id: &str) -> Fetched {
    curl_with(env, gateway, url, exchange_id, &[])
}

/// Fetches `url` as [`curl`] does, with `extra` curl arguments.
pub(crate) fn curl_with(env: &Env, gateway: &Gateway, url: &str, exchange_id: &str, extra: &[&str]) -> Fetched {
    let authority = url.trim_start_matches("https://").split('/').next().unwrap();
    let body_file = env.path(&format!("{exchange_id}.body"));
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--show-error", "--http1.1"])
        .arg("--resolve")
        .arg(format!("{authority}:127.0.0.1"))
        .arg("--cacert")
        .arg(&gateway.cacert)
        .arg("--header")
        .arg(format!("x-hopscope-exchange: {exchange_id}"))
        .arg("--output")
        .arg(&body_file)
        .args(["--write-out", "%{http_code}"])
        .args(extra)
        .arg(url);
    let outcome = run(command);
    assert!(outcome.success(), "curl failed\n{outcome}");
    Fetched {
        status: outcome.stdout.trim().parse().unwrap_or_else(|_| panic!("curl printed no status\n{outcome}")),
        body: std::fs::read(&body_file).unwrap_or_default(),
    }
}

pub(crate) fn set_fault(env: &Env, args: &[&str]) {
    let mut full = vec!["gateway", "fault"];
    full.extend_from_slice(args);
    env.ok(&full);
    // The running gateway polls every 200 ms.
    std::thread::sleep(Duration::from_millis(600));
}

/// Returns the hop records of one exchange from `trace show --json`.
pub(crate) fn hop_records(env: &Env, exchange_id: &str) -> Vec<Value> {
    let detail = env.json(&["trace", "show", exchange_id, "--json"]);
    detail["records"].as_array().cloned().unwrap_or_default()
}

pub(crate) fn response_sha256(record: &Value) -> String {
    record["response"]["body"]["sha256"].as_str().unwrap_or_default().to_string()
}

pub(crate) fn hop_names(records: &[Value]) -> Vec<String> {
    records.iter().map(|r| r["hop"].as_str().unwrap_or_default().to_string()).collect()
}

/// Checks the fields HAR 1.2 requires for each object the export writes.
pub(crate) fn check_har(har: &Value, expected_entries: usize) {
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert!(log["creator"]["name"].is_string(), "creator.name");
    assert!(log["creator"]["version"].is_string(), "creator.version");
    let entries = log["entries"].as_array().expect("log.entries is an array");
    assert_eq!(entries.len(), expected_entries);
    for entry in entries {
        let started = entry["startedDateTime"].as_str().expect("startedDateTime");
        let bytes = started.as_bytes();
        assert!(
            started.len() >= 20 && bytes[4] == b'-' && bytes[10] == b'T' && started.ends_with('Z'),
            "startedDateTime {started} is not an ISO 8601 UTC time"
        );
        assert!(entry["time"].as_f64().is_some_and(|t| t >= 0.0), "time");
        assert!(entry["cache"].is_object(), "cache");
        let request = &entry["request"];
        for field in ["method", "url", "httpVersion"] {
            assert!(request[field].is_string(), "request.{field}");
        }
        for field in ["cookies", "headers", "queryString"] {
            assert!(request[field].is_array(), "request.{field}");
        }
        for field in ["headersSize", "bodySize"] {
            assert!(request[field].is_i64() || request[field].is_u64(), "request.{field}");
        }
        assert!(request["url"].as_str().unwrap().starts_with("https://"), "request.url");
        let response = &entry["response"];
        assert!(response["status"].is_u64(), "response.status");
        for field in ["statusText", "httpVersion", "redirectURL"] {
            assert!(response[field].is_string(), "response.{field}");
        }
        for field in ["cookies", "headers"] {
            assert!(response[field].is_array(), "response.{field}");
        }
        assert!(response["content"]["size"].is_i64() || response["content"]["size"].is_u64(), "content.size");
        assert!(response["content"]["mimeType"].is_string(), "content.mimeType");
        let timings = &entry["timings"];
        let mut sum = 0.0;
        for field in ["send", "wait", "receive"] {
            let value = timings[field].as_f64().unwrap_or_else(|| panic!("timings.{field}"));
            assert!(value >= 0.0, "timings.{field} is negative");
            sum += value;
        }
        let time = entry["time"].as_f64().unwrap();
        assert!((sum - time).abs() < 0.01, "time {time} is not the sum of the timings {sum}");
        assert!(entry["_hopscope"]["hops"].is_array(), "_hopscope.hops");
    }
}

/// Decodes the `captured` object of a recorded body, checking that its
/// `text` form, when present, is the same bytes.
pub(crate) fn captured_bytes(body: &Value) -> Option<Vec<u8>> {
    let captured = body.get("captured").filter(|c| !c.is_null())?;
    let bytes = BASE64.decode(captured["base64"].as_str().expect("captured.base64")).expect("captured.base64 is base64");
    if let Some(text) = captured["text"].as_str() {
        assert_eq!(text.as_bytes(), bytes.as_slice(), "captured.text and captured.base64 differ");
    }
    Some(bytes)
}

