//! Text header lines before the binary part of a recording (`% ...` in
//! Prophesee files, `# ...` in AEDAT 2/3).

use super::bytes::ByteStream;
use super::EventFileError;

/// Longest header line accepted (jAER writes long XML lines).
const MAX_LINE: usize = 1 << 20;

/// Read the lines starting with `marker` at the start of the stream, stopping
/// after `end` (if given) or before the first line that is not printable
/// text (the binary part may begin with the marker byte). With `crlf`, a
/// header line must also end in `\r\n`, as AEDAT writers all do: binary
/// records starting with `#` are then not mistaken for header lines. Returns
/// the lines without the marker, trimmed.
pub(crate) fn read_lines(
    src: &mut ByteStream,
    marker: u8,
    end: Option<&str>,
    crlf: bool,
) -> Result<Vec<String>, EventFileError> {
    let mut lines = Vec::new();
    loop {
        src.fill(MAX_LINE.min(64 * 1024))?;
        let data = src.data();
        if data.first() != Some(&marker) {
            break;
        }
        let Some(nl) = data.iter().position(|&b| b == b'\n') else {
            // No end of line in the buffered part: a header line running to
            // the end of the file, or the binary part starting with the
            // marker byte (then it is not text).
            if !is_text(data) || (crlf && !src.at_eof()) {
                break;
            }
            if crlf {
                // Header lines of these formats end in CR LF, even the last.
                let at = src.offset();
                return Err(src.error(at, "the file ends inside its header"));
            }
            let line = src.line(MAX_LINE)?.unwrap_or_default();
            lines.push(clean(&line, marker));
            continue;
        };
        if !is_text(&data[..nl]) || (crlf && (nl == 0 || data[nl - 1] != b'\r')) {
            break;
        }
        let line = clean(&data[..nl], marker);
        src.consume(nl + 1);
        let stop = end.is_some_and(|e| line.eq_ignore_ascii_case(e));
        lines.push(line);
        if stop {
            break;
        }
    }
    Ok(lines)
}

fn is_text(b: &[u8]) -> bool {
    std::str::from_utf8(b)
        .is_ok_and(|s| s.chars().all(|c| !c.is_control() || c == '\r' || c == '\t'))
}

fn clean(b: &[u8], marker: u8) -> String {
    let s = String::from_utf8_lossy(b);
    s.trim_start_matches(marker as char).trim().to_string()
}

/// The value of `key` in `key value` / `key: value` lines (case-insensitive).
pub(crate) fn value<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| {
        let (k, v) = l.split_once([' ', ':', '\t'])?;
        k.eq_ignore_ascii_case(key)
            .then(|| v.trim_start_matches([':', ' ']).trim())
    })
}
