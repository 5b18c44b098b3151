//! Moving private keys between the vault rows and memory.

use hopscope_pki::PrivateKey;
use hopscope_store::rows;
use sqlx::SqliteConnection;

use crate::{now_unix, Result, Workspace};

impl Workspace {
    /// Seals `key` under the data key and stores it; returns the key id.
    pub(crate) async fn store_key(&self, conn: &mut SqliteConnection, key: &PrivateKey) -> Result<i64> {
        let sealed = self.data_key()?.seal(key.pkcs8_der())?;
        let id = rows::insert_key(conn, key.key_type().as_str(), &key.spki_sha256(), &sealed, now_unix()).await?;
        Ok(id)
    }

    /// Loads and decrypts the key with this id.
    pub(crate) async fn load_key(&self, conn: &mut SqliteConnection, key_id: i64) -> Result<PrivateKey> {
        let data_key = self.data_key()?;
        let sealed = rows::sealed_key(conn, key_id)
            .await?
            .ok_or_else(|| crate::Error::Invalid(format!("key {key_id} is missing from the vault")))?;
        let pkcs8 = data_key.open(&sealed)?;
        Ok(PrivateKey::from_pkcs8_der(&pkcs8)?)
    }
}
