//! Every event-camera decoder on arbitrary bytes: the first byte picks the
//! format and leniency, the rest is the file. Decoding must never panic,
//! hang or allocate without bound; errors are fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::path::Path;
use volley_models::input::event_camera::{from_reader, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[sel as usize % Format::ALL.len()];
    let lenient = sel & 0x80 != 0;
    let input = Box::new(Cursor::new(rest.to_vec()));
    let Ok(mut reader) = from_reader(Path::new("fuzz"), input, format, lenient) else {
        return;
    };
    let mut chunk = Vec::new();
    let mut total = 0usize;
    while let Ok(true) = reader.next_chunk(&mut chunk) {
        total += chunk.len();
        // No format yields more events than 32 per input byte (EVT 2.1 masks).
        assert!(
            total <= 32 * rest.len() + 32,
            "{format}: {total} events from {} bytes",
            rest.len()
        );
    }
    let _ = reader.report();
});
