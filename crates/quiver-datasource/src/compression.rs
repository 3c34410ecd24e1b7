//! Compressed text files: gzip, zstd, bzip2 and xz, chosen by option or by
//! the file extension (`.gz`, `.zst`, `.bz2`, `.xz`), decompressed while
//! reading.

use std::io::Read;
use std::path::Path;

use quiver_expr::{QuiverError, Result};

/// How a text file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// From the file extension: `.gz`/`.gzip` gzip, `.zst`/`.zstd` zstd,
    /// `.bz2` bzip2, `.xz` xz, anything else none.
    #[default]
    Auto,
    /// Not compressed.
    None,
    /// gzip.
    Gzip,
    /// Zstandard.
    Zstd,
    /// bzip2.
    Bzip2,
    /// xz (LZMA2).
    Xz,
}

impl Compression {
    /// The compression named by an option value (`auto`, `none`,
    /// `uncompressed`, `gzip`, `zstd`, `bzip2`, `xz`).
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "auto" | "infer" => Compression::Auto,
            "none" | "uncompressed" => Compression::None,
            "gzip" | "gz" => Compression::Gzip,
            "zstd" | "zst" => Compression::Zstd,
            "bzip2" | "bz2" => Compression::Bzip2,
            "xz" => Compression::Xz,
            other => {
                return Err(QuiverError::Plan(format!(
                    "unknown compression '{other}'; expected auto, none, gzip, zstd, bzip2 or xz"
                )))
            }
        })
    }

    /// The compression a file name's extension says, if any.
    pub fn from_extension(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "gz" | "gzip" => Some(Compression::Gzip),
            "zst" | "zstd" => Some(Compression::Zstd),
            "bz2" => Some(Compression::Bzip2),
            "xz" => Some(Compression::Xz),
            _ => None,
        }
    }

    /// `file` (read from `name`, a path or URL) with this compression undone.
    pub fn decode(self, file: Box<dyn Read + Send>, name: &str) -> Result<Box<dyn Read + Send>> {
        let resolved = match self {
            Compression::Auto => Self::from_extension(Path::new(name)).unwrap_or(Compression::None),
            other => other,
        };
        Ok(match resolved {
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
            Compression::Zstd => Box::new(
                zstd::stream::read::Decoder::new(file)
                    .map_err(|e| QuiverError::Io(format!("cannot read zstd file '{name}': {e}")))?,
            ),
            Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(file)),
            Compression::Xz => Box::new(lzma_rust2::XzReader::new(file, true)),
            Compression::None | Compression::Auto => Box::new(file),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    #[test]
    fn compressed_files_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"a,b\n1,2\n";
        let gz = dir.path().join("x.csv.gz");
        let mut e = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), Default::default());
        e.write_all(text).unwrap();
        e.finish().unwrap();
        let zst = dir.path().join("x.csv.zst");
        std::fs::write(&zst, zstd::encode_all(&text[..], 3).unwrap()).unwrap();
        let bz2 = dir.path().join("x.csv.bz2");
        let mut e = bzip2::write::BzEncoder::new(File::create(&bz2).unwrap(), Default::default());
        e.write_all(text).unwrap();
        e.finish().unwrap();
        let xz = dir.path().join("x.csv.xz");
        let mut e =
            lzma_rust2::XzWriter::new(File::create(&xz).unwrap(), Default::default()).unwrap();
        e.write_all(text).unwrap();
        e.finish().unwrap();
        for path in [&gz, &zst, &bz2, &xz] {
            let mut out = String::new();
            Compression::Auto
                .decode(Box::new(File::open(path).unwrap()), path.to_str().unwrap())
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            assert_eq!(out.as_bytes(), text, "{}", path.display());
        }
        assert!(Compression::from_name("lzw").is_err());
    }
}
