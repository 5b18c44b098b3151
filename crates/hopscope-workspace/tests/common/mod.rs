//! Helpers shared by the tests that run the demo network.

/// Holds the demo-port lock file for the life of a test. `File::lock` is an
/// advisory `flock`, the same lock the end-to-end tests take.
pub struct PortLock(#[allow(dead_code)] std::fs::File);

pub fn lock_demo_ports() -> PortLock {
    let path = std::env::temp_dir().join("hopscope-demo-ports.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    file.lock().unwrap();
    // A gateway that the previous holder stopped may still be closing its
    // listeners, so a taken port gets a few seconds to free.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    for port in [8443, 9443, 9444, 9445] {
        while std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "port {port} on 127.0.0.1 is taken; the demo network needs 8443, 9443, 9444 and 9445, so stop what listens there"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    PortLock(file)
}
