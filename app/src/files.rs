//! Uploaded files, kept in the data directory under their SHA-256: re-processing a source never
//! needs a re-upload, and the same file uploaded twice is kept once.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

/// A file being received: hashed and written as it arrives, to a temporary name.
pub struct Incoming {
    temporary: PathBuf,
    file: tokio::fs::File,
    hasher: Sha256,
    pub bytes: u64,
}

impl FileStore {
    pub fn new(dir: PathBuf) -> Self {
        FileStore { dir }
    }

    pub fn path(&self, checksum: &str) -> PathBuf {
        self.dir.join(checksum)
    }

    pub async fn read(&self, checksum: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(checksum)).await
    }

    pub async fn begin(&self) -> std::io::Result<Incoming> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let temporary = self
            .dir
            .join(format!(".incoming-{}", uuid::Uuid::new_v4().simple()));
        Ok(Incoming {
            file: tokio::fs::File::create(&temporary).await?,
            temporary,
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    /// Keeps a complete file under its checksum (synced before it is renamed, so a kept file is
    /// whole) and returns the checksum.
    pub async fn keep(&self, mut incoming: Incoming) -> std::io::Result<String> {
        incoming.file.flush().await?;
        incoming.file.sync_all().await?;
        let checksum: String = incoming
            .hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        tokio::fs::rename(&incoming.temporary, self.path(&checksum)).await?;
        Ok(checksum)
    }

    pub async fn keep_bytes(&self, bytes: &[u8]) -> std::io::Result<String> {
        let mut incoming = self.begin().await?;
        incoming.write(bytes).await?;
        self.keep(incoming).await
    }

    /// Removes what an abandoned upload wrote.
    pub async fn discard(&self, incoming: Incoming) {
        drop(incoming.file);
        let _ = tokio::fs::remove_file(&incoming.temporary).await;
    }
}

impl Incoming {
    /// What has been received so far (to look at a file before it is kept).
    pub async fn read(&mut self) -> std::io::Result<Vec<u8>> {
        self.file.flush().await?;
        tokio::fs::read(&self.temporary).await
    }

    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
        self.file.write_all(bytes).await
    }
}
