//! Two handles on one workspace file, as two processes have (a running
//! gateway and `exchange run`), writing at the same time. Each transaction
//! reads before it writes, which is what made a deferred transaction fail
//! at once with "database is locked" instead of waiting its turn.

use hopscope_store::{rows, Store};

const ROUNDS: usize = 200;

async fn read_then_write(store: &Store, key: &str) -> Result<(), String> {
    for round in 0..ROUNDS {
        let mut tx = store.begin().await.map_err(|e| e.to_string())?;
        let previous = rows::get_meta(&mut tx, key).await.map_err(|e| e.to_string())?;
        let next = previous.map(|v| v.len()).unwrap_or(0) + round;
        rows::set_meta(&mut tx, key, next.to_string().as_bytes())
            .await
            .map_err(|e| format!("round {round}: {e}"))?;
        tx.commit().await.map_err(|e| format!("round {round}: {e}"))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_write_without_locked_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    let first = Store::create(&path).await.unwrap();
    let second = Store::open(&path).await.unwrap();

    let (a, b) = tokio::join!(read_then_write(&first, "writer-a"), read_then_write(&second, "writer-b"));

    assert_eq!(a, Ok(()));
    assert_eq!(b, Ok(()));
}
