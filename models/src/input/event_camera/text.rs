//! Text recordings, one event per line: comma-separated (CSV) or
//! whitespace-separated `t x y p`.
//!
//! An optional header names the columns: a first line of names such as
//! `t,x,y,p`, `timestamp,x,y,polarity` or faery's `t,x@320,y@240,on` (the
//! `@` suffixes give the sensor size), or a `#` comment line of names
//! (`# timestamp x y polarity`, as evlib writes). Without names the order is
//! `t, x, y, p`. Times are integer microseconds, or seconds when the first
//! event's time has a decimal point (converted exactly, rounded to the
//! nearest µs). Polarity is `1`/`0`, `1`/`-1` or `true`/`false`.

use super::bytes::{ByteStream, BLOCK};
use super::{CameraEvent, EventFileError, EventReader, Format};

/// Streaming text reader.
pub struct TextReader {
    src: ByteStream,
    geometry: Option<(u32, u32)>,
    /// Column of t, x, y, p.
    columns: [usize; 4],
    n_columns: usize,
    seconds: Option<bool>,
    line: u64,
    header_done: bool,
}

impl TextReader {
    pub(crate) fn new(src: ByteStream) -> Result<Self, EventFileError> {
        Ok(TextReader {
            src,
            geometry: None,
            columns: [0, 1, 2, 3],
            n_columns: 4,
            seconds: None,
            line: 0,
            header_done: false,
        })
    }

    /// Take column names from a header line; false if it is not one.
    fn header(&mut self, text: &str) -> Result<bool, String> {
        let names: Vec<&str> = fields(text).collect();
        if names.iter().all(|n| n.parse::<f64>().is_ok()) {
            return Ok(false);
        }
        let mut cols = [usize::MAX; 4];
        let (mut w, mut h) = (None, None);
        for (i, n) in names.iter().enumerate() {
            let (name, size) = match n.split_once('@') {
                Some((a, b)) => (a, b.parse::<u32>().ok()),
                None => (*n, None),
            };
            let slot = match name.to_ascii_lowercase().as_str() {
                "t" | "ts" | "time" | "timestamp" | "t_us" | "timestamp_us" => 0,
                "x" => {
                    w = size;
                    1
                }
                "y" => {
                    h = size;
                    2
                }
                "p" | "pol" | "polarity" | "on" => 3,
                _ => continue,
            };
            cols[slot] = i;
        }
        if let Some(k) = cols.iter().position(|&c| c == usize::MAX) {
            let want = ["t (or timestamp)", "x", "y", "p (or polarity, on)"][k];
            return Err(format!("header names no column `{want}`"));
        }
        self.columns = cols;
        self.n_columns = names.len();
        if let (Some(w), Some(h)) = (w, h) {
            self.geometry = Some((w, h));
        }
        Ok(true)
    }

    fn parse(&mut self, text: &str) -> Result<CameraEvent, String> {
        let mut f: [&str; 8] = [""; 8];
        let mut n = 0;
        for v in fields(text) {
            if n < f.len() {
                f[n] = v;
            }
            n += 1;
        }
        if n < self.n_columns.min(f.len()) || n < 4 {
            return Err(format!(
                "expected {} fields, found {n}",
                self.n_columns.max(4)
            ));
        }
        let [ct, cx, cy, cp] = self.columns.map(|c| c.min(f.len() - 1));
        let t_text = f[ct];
        let seconds = *self
            .seconds
            .get_or_insert_with(|| t_text.contains(['.', 'e', 'E']));
        let t_us = if seconds {
            seconds_to_us(t_text)
        } else {
            t_text.parse::<i64>().ok()
        }
        .ok_or_else(|| {
            let unit = if seconds {
                "seconds"
            } else {
                "integer microseconds"
            };
            format!("time `{t_text}` is not a number of {unit}")
        })?;
        let coord = |s: &str, name: &str| {
            s.parse::<u16>()
                .map_err(|_| format!("{name} `{s}` is not a pixel coordinate (0..65535)"))
        };
        let x = coord(f[cx], "x")?;
        let y = coord(f[cy], "y")?;
        let on = match f[cp].to_ascii_lowercase().as_str() {
            "1" | "+1" | "true" | "on" => true,
            "0" | "-1" | "false" | "off" => false,
            other => return Err(format!("polarity `{other}` is not 1/0, 1/-1 or true/false")),
        };
        if let Some((w, h)) = self.geometry {
            if u32::from(x) >= w || u32::from(y) >= h {
                return Err(format!("event at ({x}, {y}) outside the {w}x{h} sensor"));
            }
        }
        Ok(CameraEvent { t_us, x, y, on })
    }
}

fn fields(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
}

/// Exact decimal seconds to microseconds, rounded half away from zero.
pub fn seconds_to_us(s: &str) -> Option<i64> {
    if s.contains(['e', 'E']) {
        let v: f64 = s.parse().ok()?;
        let us = (v * 1e6).round();
        return (us.is_finite() && us.abs() < 9e18).then_some(us as i64);
    }
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut us = whole.checked_mul(1_000_000)?;
    let digits = frac.as_bytes();
    let mut f = 0i64;
    for k in 0..6 {
        f = f * 10 + digits.get(k).map_or(0, |d| i64::from(d - b'0'));
    }
    if digits.get(6).is_some_and(|&d| d >= b'5') {
        f += 1;
    }
    us = us.checked_add(f)?;
    Some(if neg { -us } else { us })
}

impl EventReader for TextReader {
    fn format(&self) -> Format {
        Format::Text
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.geometry
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        out.clear();
        loop {
            self.src.fill(BLOCK)?;
            let eof = self.src.at_eof();
            let data = self.src.data();
            if data.is_empty() {
                return Ok(false);
            }
            let end = match data.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None if eof => data.len(),
                None => {
                    let at = self.src.offset();
                    return Err(self.src.error(
                        at,
                        format!("line {} longer than {BLOCK} bytes", self.line + 1),
                    ));
                }
            };
            let unterminated = eof && end == data.len() && data.last() != Some(&b'\n');
            let block = data[..end].to_vec();
            self.src.consume(end);
            let n_lines = block.split(|&b| b == b'\n').count();
            for (k, raw) in block.split(|&b| b == b'\n').enumerate() {
                let last = unterminated && k + 1 == n_lines;
                if raw.is_empty() {
                    continue;
                }
                self.line += 1;
                let text = match std::str::from_utf8(raw) {
                    Ok(t) => t.trim(),
                    Err(_) => {
                        let e =
                            EventFileError::on_line(self.src.path(), self.line, "not UTF-8 text");
                        self.src.damage_error(e, raw.len() as u64)?;
                        continue;
                    }
                };
                if text.is_empty() {
                    continue;
                }
                if let Some(comment) = text.strip_prefix('#') {
                    if !self.header_done {
                        // `# timestamp x y polarity`: names in a comment.
                        let _ = self.header(comment);
                    }
                    continue;
                }
                if !self.header_done {
                    self.header_done = true;
                    match self.header(text) {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(m) => {
                            let e = EventFileError::on_line(self.src.path(), self.line, m);
                            return Err(e);
                        }
                    }
                }
                match self.parse(text) {
                    Ok(ev) => out.push(ev),
                    Err(m) => {
                        let m = if last {
                            format!("truncated last line (no end of line): {m}")
                        } else {
                            m
                        };
                        let e = EventFileError::on_line(self.src.path(), self.line, m);
                        self.src.damage_error(e, raw.len() as u64)?;
                    }
                }
            }
            if !out.is_empty() {
                return Ok(true);
            }
        }
    }

    stream_accounting!();
}

#[cfg(test)]
mod tests {
    use super::seconds_to_us;

    #[test]
    fn decimal_seconds_convert_exactly() {
        assert_eq!(seconds_to_us("11.718656000000"), Some(11_718_656));
        assert_eq!(seconds_to_us("0.0000005"), Some(1));
        assert_eq!(seconds_to_us("0.0000004999"), Some(0));
        assert_eq!(seconds_to_us("-1.5"), Some(-1_500_000));
        assert_eq!(
            seconds_to_us("1605537493.718345"),
            Some(1_605_537_493_718_345)
        );
        assert_eq!(seconds_to_us("1e-3"), Some(1000));
        assert_eq!(seconds_to_us("1.2.3"), None);
        assert_eq!(seconds_to_us("."), None);
        assert_eq!(seconds_to_us("99999999999999999999.0"), None);
    }
}
