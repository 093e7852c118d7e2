//! One public file, rendered once: its bytes, compressed variants and a strong ETag.
//!
//! The variants are made once per file, off the publishing path: [`Asset::warm`] runs right
//! after a snapshot is swapped in, for the files whose last version readers asked for
//! compressed, and a request that comes sooner makes the variant itself (once; others asking
//! meanwhile wait for it). A change is thus visible before its bytes are compressed, a file a
//! change left as it was keeps the variants already made, and a file nobody asks for
//! compressed costs no compression at all.
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use xxhash_rust::xxh3::xxh3_128;

/// Files smaller than this are sent as they are: compressing them saves nothing.
const COMPRESS_MIN_BYTES: usize = 512;
/// Quality 4 compresses the files a 200-component page renders on each change in under 2 ms
/// together; quality 5 and up switch to a hasher whose tables cost ten times that, for files
/// about 10 % smaller (measured with the 200-component page of bench/public_page.py).
const BROTLI_QUALITY: i32 = 4;

#[derive(Debug)]
pub struct Asset {
    pub content_type: &'static str,
    pub identity: Bytes,
    /// Strong, of the identity bytes; each encoding answers with its own suffix.
    pub etag: String,
    /// The quoted ETag of each encoding, by [`Encoding`], made once rather than per request.
    tags: [Bytes; 3],
    compressible: bool,
    /// `None` inside when compressing did not make the file smaller.
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
    /// Whether a reader asked for this file, or for the version before it, in Brotli.
    brotli_wanted: AtomicBool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Asset {
    pub fn new(content_type: &'static str, body: impl Into<Bytes>) -> Asset {
        let identity: Bytes = body.into();
        // Strong validators need no cryptographic hash: a quick one of 128 bits tells versions apart.
        let etag = format!("{:032x}", xxh3_128(&identity));
        // In the order of `Encoding`'s variants.
        let tags = ["", "-gz", "-br"].map(|suffix| Bytes::from(format!("\"{etag}{suffix}\"")));
        let compressible = identity.len() >= COMPRESS_MIN_BYTES && is_text(content_type);
        Asset {
            content_type,
            identity,
            etag,
            tags,
            compressible,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
            brotli_wanted: AtomicBool::new(false),
        }
    }

    /// This file replaces `previous` (the same path, changed): readers who wanted that one in
    /// Brotli will want this one too.
    pub fn replacing(mut self, previous: &Asset) -> Asset {
        *self.brotli_wanted.get_mut() = previous.brotli_wanted.load(Ordering::Relaxed);
        self
    }

    pub fn gzip(&self) -> Option<&Bytes> {
        self.variant_of(&self.gzip, gzip)
    }

    pub fn brotli(&self) -> Option<&Bytes> {
        self.variant_of(&self.brotli, brotli)
    }

    /// Makes the variant browsers ask for, so no reader has to wait for it, when readers asked
    /// for the file's last version in it. Gzip, which only clients without Brotli ask for, is
    /// made on the first such request: every change would otherwise cost its compression
    /// whether anyone wanted it or not.
    pub fn warm(&self) {
        if self.brotli_wanted.load(Ordering::Relaxed) {
            self.brotli();
        }
    }

    fn variant_of<'a>(
        &'a self,
        cell: &'a OnceLock<Option<Bytes>>,
        compress: fn(&[u8]) -> Vec<u8>,
    ) -> Option<&'a Bytes> {
        if !self.compressible {
            return None;
        }
        cell.get_or_init(|| {
            let compressed = compress(&self.identity);
            (compressed.len() < self.identity.len()).then(|| Bytes::from(compressed))
        })
        .as_ref()
    }

    /// The best variant the client accepts, its bytes and its ETag.
    pub fn variant(&self, accept_encoding: &str) -> (Encoding, &Bytes, &Bytes) {
        let accepts = |name: &str| accepted(accept_encoding, name);
        let brotli = accepts("br");
        if brotli && self.compressible && !self.brotli_wanted.load(Ordering::Relaxed) {
            // Read before written: readers on every core share the line until the first asks.
            self.brotli_wanted.store(true, Ordering::Relaxed);
        }
        if let Some(body) = brotli.then(|| self.brotli()).flatten() {
            return (Encoding::Brotli, body, self.tag(Encoding::Brotli));
        }
        if let Some(body) = accepts("gzip").then(|| self.gzip()).flatten() {
            return (Encoding::Gzip, body, self.tag(Encoding::Gzip));
        }
        (
            Encoding::Identity,
            &self.identity,
            self.tag(Encoding::Identity),
        )
    }

    fn tag(&self, encoding: Encoding) -> &Bytes {
        &self.tags[encoding as usize]
    }

    /// Whether an `If-None-Match` header names this file (in any of its encodings).
    pub fn matches(&self, if_none_match: &str) -> bool {
        if_none_match.split(',').any(|tag| {
            let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
            tag == "*" || tag.split('-').next() == Some(self.etag.as_str())
        })
    }
}

fn is_text(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.contains("xml")
        || content_type.starts_with("application/javascript")
        || content_type.starts_with("image/svg")
}

/// Whether `Accept-Encoding` lists `name` without `q=0`.
fn accepted(header: &str, name: &str) -> bool {
    header.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or("");
        let refused = pieces.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        coding.eq_ignore_ascii_case(name) && !refused
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .expect("writing to a Vec cannot fail")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // A window no larger than the input: the default 4 MiB one makes every call allocate and
    // clear tables sized for it, which costs more than compressing a small page.
    let window = (usize::BITS - data.len().leading_zeros()).clamp(10, 22) as i32;
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: window,
        size_hint: data.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .expect("writing to a Vec cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_best_accepted_encoding() {
        let asset = Asset::new("text/html; charset=utf-8", "<p>hello</p>".repeat(200));
        let (encoding, body, etag) = asset.variant("gzip, deflate, br");
        assert_eq!(encoding, Encoding::Brotli);
        assert!(body.len() < asset.identity.len());
        assert!(etag.ends_with(b"-br\""));
        let etag = std::str::from_utf8(etag).unwrap().to_string();
        assert_eq!(asset.variant("gzip").0, Encoding::Gzip);
        assert_eq!(asset.variant("br;q=0, gzip").0, Encoding::Gzip);
        assert_eq!(asset.variant("").0, Encoding::Identity);
        assert!(asset.matches(&etag));
        assert!(asset.matches(&format!("\"other\", \"{}\"", asset.etag)));
        assert!(!asset.matches("\"other\""));
    }

    #[test]
    fn a_change_is_compressed_ahead_of_readers_only_when_readers_asked_for_it_compressed() {
        let page = |text: &str| Asset::new("text/html; charset=utf-8", text.repeat(200));
        let asked = page("<p>one</p>");
        asked.warm();
        asked.variant("gzip");
        assert!(asked.brotli.get().is_none(), "nobody asked for Brotli yet");
        asked.variant("gzip, br");
        let next = page("<p>two</p>").replacing(&asked);
        next.warm();
        assert!(next.brotli.get().is_some());
        let unasked = page("<p>three</p>").replacing(&page("<p>four</p>"));
        unasked.warm();
        assert!(unasked.brotli.get().is_none());
        assert_eq!(unasked.variant("br").0, Encoding::Brotli, "made on request");
    }

    #[test]
    fn small_files_are_not_compressed() {
        let asset = Asset::new("application/json", "{}");
        assert!(asset.gzip().is_none() && asset.brotli().is_none());
    }
}
