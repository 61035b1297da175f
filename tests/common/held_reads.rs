//! An asset reader that can hold script reads open, to make overlapping
//! saves deterministic: each held read takes the file's bytes when it
//! starts and delivers them only when the test releases it, so loads finish
//! in the order the test chooses.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bevy::asset::io::file::FileAssetReader;
use bevy::asset::io::{
    AssetReader, AssetReaderError, PathStream, Reader, ReaderNotSeekableError, SeekableReader,
};
use bevy::tasks::futures_lite::AsyncRead;

type Gate = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Which reads are held; shared between the reader and the test.
#[derive(Clone, Default)]
pub struct Holds(Arc<Mutex<HoldState>>);

#[derive(Default)]
struct HoldState {
    holding: bool,
    /// Senders that release the held reads, in the order they started.
    held: Vec<Option<async_channel::Sender<()>>>,
}

impl Holds {
    /// From now on, reads of `.rhai` files wait to be released.
    pub fn hold(&self) {
        self.0.lock().unwrap().holding = true;
    }

    /// From now on, reads go through at once (held ones stay held).
    pub fn stop_holding(&self) {
        self.0.lock().unwrap().holding = false;
    }

    /// How many reads have been held so far.
    pub fn held(&self) -> usize {
        self.0.lock().unwrap().held.len()
    }

    /// Releases the `index`th held read (in the order they started).
    pub fn release(&self, index: usize) {
        let sender = self.0.lock().unwrap().held[index]
            .take()
            .expect("released once");
        sender.send_blocking(()).unwrap();
    }
}

/// Reads files under a root; holds `.rhai` reads while [`Holds`] says so.
pub struct HeldReader {
    root: PathBuf,
    files: FileAssetReader,
    holds: Holds,
}

impl HeldReader {
    pub fn new(root: PathBuf, holds: Holds) -> Self {
        Self {
            files: FileAssetReader::new(root.clone()),
            root,
            holds,
        }
    }
}

/// Bytes taken when the read started, delivered once the gate opens.
struct HeldBytes {
    bytes: Vec<u8>,
    position: usize,
    gate: Mutex<Option<Gate>>,
}

impl AsyncRead for HeldBytes {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let gate = this.gate.get_mut().unwrap();
        if let Some(open) = gate.as_mut() {
            match open.as_mut().poll(context) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => *gate = None,
            }
        }
        let rest = &this.bytes[this.position..];
        let count = rest.len().min(buffer.len());
        buffer[..count].copy_from_slice(&rest[..count]);
        this.position += count;
        Poll::Ready(Ok(count))
    }
}

impl Reader for HeldBytes {
    fn seekable(&mut self) -> Result<&mut dyn SeekableReader, ReaderNotSeekableError> {
        Err(ReaderNotSeekableError)
    }
}

impl AssetReader for HeldReader {
    async fn read<'a>(&'a self, path: &'a Path) -> Result<Box<dyn Reader + 'a>, AssetReaderError> {
        let is_script = path
            .extension()
            .is_some_and(|extension| extension == "rhai");
        let gate = {
            let mut state = self.holds.0.lock().unwrap();
            (state.holding && is_script).then(|| {
                let (sender, receiver) = async_channel::bounded::<()>(1);
                state.held.push(Some(sender));
                Box::pin(async move {
                    let _ = receiver.recv().await;
                }) as Gate
            })
        };
        let Some(gate) = gate else {
            return Ok(Box::new(self.files.read(path).await?));
        };
        let bytes = std::fs::read(self.root.join(path))
            .map_err(|_| AssetReaderError::NotFound(path.to_owned()))?;
        Ok(Box::new(HeldBytes {
            bytes,
            position: 0,
            gate: Mutex::new(Some(gate)),
        }))
    }

    async fn read_meta<'a>(&'a self, path: &'a Path) -> Result<impl Reader + 'a, AssetReaderError> {
        self.files.read_meta(path).await
    }

    async fn read_directory<'a>(
        &'a self,
        path: &'a Path,
    ) -> Result<Box<PathStream>, AssetReaderError> {
        self.files.read_directory(path).await
    }

    async fn is_directory<'a>(&'a self, path: &'a Path) -> Result<bool, AssetReaderError> {
        self.files.is_directory(path).await
    }
}
