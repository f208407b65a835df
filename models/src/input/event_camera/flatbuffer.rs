//! The little of FlatBuffers that AEDAT 4 needs, bounds-checked: every
//! accessor returns `None` on a malformed buffer instead of panicking, so a
//! damaged file is reported, never trusted.

/// A table inside a flatbuffer.
#[derive(Clone, Copy)]
pub(crate) struct Table<'a> {
    buf: &'a [u8],
    pos: usize,
    vtable: usize,
    vt_len: usize,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(i..i.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(i..i.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn i64_at(b: &[u8], i: usize) -> Option<i64> {
    Some(i64::from_le_bytes(
        b.get(i..i.checked_add(8)?)?.try_into().ok()?,
    ))
}

impl<'a> Table<'a> {
    /// The root table of `buf` (which starts with the root offset).
    pub fn root(buf: &'a [u8]) -> Option<Self> {
        let pos = u32_at(buf, 0)? as usize;
        Table::at(buf, pos)
    }

    /// The 4-byte file identifier after the root offset.
    pub fn identifier(buf: &'a [u8]) -> Option<&'a [u8]> {
        buf.get(4..8)
    }

    fn at(buf: &'a [u8], pos: usize) -> Option<Self> {
        let soff = u32_at(buf, pos)? as i32 as i64;
        let vtable = usize::try_from(pos as i64 - soff).ok()?;
        let vt_len = u16_at(buf, vtable)? as usize;
        if vt_len < 4 || vtable.checked_add(vt_len)? > buf.len() {
            return None;
        }
        Some(Table {
            buf,
            pos,
            vtable,
            vt_len,
        })
    }

    /// Absolute position of field `id`, `Some(None)` if absent.
    fn field(&self, id: usize) -> Option<Option<usize>> {
        let slot = 4 + 2 * id;
        if slot + 2 > self.vt_len {
            return Some(None);
        }
        let off = u16_at(self.buf, self.vtable + slot)? as usize;
        Some((off != 0).then_some(self.pos + off))
    }

    pub fn i32(&self, id: usize, default: i32) -> Option<i32> {
        match self.field(id)? {
            None => Some(default),
            Some(p) => Some(u32_at(self.buf, p)? as i32),
        }
    }

    pub fn i64(&self, id: usize, default: i64) -> Option<i64> {
        match self.field(id)? {
            None => Some(default),
            Some(p) => i64_at(self.buf, p),
        }
    }

    /// Start and element count of a vector field (`Some(None)` if absent).
    pub fn vector(&self, id: usize) -> Option<Option<(usize, usize)>> {
        let Some(p) = self.field(id)? else {
            return Some(None);
        };
        let target = p.checked_add(u32_at(self.buf, p)? as usize)?;
        let len = u32_at(self.buf, target)? as usize;
        Some(Some((target + 4, len)))
    }

    /// A string field (`Some(None)` if absent).
    pub fn string(&self, id: usize) -> Option<Option<&'a str>> {
        let Some((start, len)) = self.vector(id)? else {
            return Some(None);
        };
        let bytes = self.buf.get(start..start.checked_add(len)?)?;
        Some(Some(std::str::from_utf8(bytes).ok()?))
    }
}
