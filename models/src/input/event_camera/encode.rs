//! Writers for the formats that have no real sample to test against
//! (AEDAT 3.1, EVT 2.1, AEDAT 2.0 DVS128) and for round-trip tests, fuzz
//! seeds and small example recordings. They write what the matching
//! reader expects; events must be in time order with non-negative times.

use super::CameraEvent;

/// N-MNIST `.bin`: times must be < 2^23 µs (no overflow markers written).
pub fn nmnist(events: &[CameraEvent]) -> Vec<u8> {
    let mut b = Vec::with_capacity(events.len() * 5);
    for e in events {
        let t = e.t_us as u32 & 0x7F_FFFF;
        b.extend_from_slice(&[
            e.x as u8,
            e.y as u8,
            (u8::from(e.on) << 7) | (t >> 16) as u8,
            (t >> 8) as u8,
            t as u8,
        ]);
    }
    b
}

/// AEDAT 2.0 with the DVS128 (`dvs128 = true`) or DAVIS address layout.
pub fn aedat2(events: &[CameraEvent], dvs128: bool) -> Vec<u8> {
    let chip = if dvs128 {
        "ch.unizh.ini.jaer.chip.retina.DVS128"
    } else {
        "eu.seebetter.ini.chips.davis.DAVIS240C"
    };
    let mut b = format!("#!AER-DAT2.0\r\n# This is a raw AE data file\r\n# AEChip: {chip}\r\n")
        .into_bytes();
    for e in events {
        let a: u32 = if dvs128 {
            (u32::from(e.y) << 8) | (u32::from(e.x) << 1) | u32::from(e.on)
        } else {
            (u32::from(e.y) << 22) | (u32::from(e.x) << 12) | (u32::from(e.on) << 11)
        };
        b.extend_from_slice(&a.to_be_bytes());
        b.extend_from_slice(&(e.t_us as u32).to_be_bytes());
    }
    b
}

/// AEDAT 3.1 with polarity packets of at most `per_packet` events (and an
/// IMU packet between them, to be skipped). Each polarity packet also holds
/// one invalid event and one unused slot, so eventCapacity > eventNumber >
/// eventValid as in packets cAER writes.
pub fn aedat3(events: &[CameraEvent], per_packet: usize) -> Vec<u8> {
    let mut b = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2026-11-28 12:00:00 (TZ+0000)\r\n#!END-HEADER\r\n".to_vec();
    // A packet never spans a timestamp overflow (as cAER writes them).
    let mut packets: Vec<&[CameraEvent]> = Vec::new();
    for run in events.chunk_by(|a, b| a.t_us >> 31 == b.t_us >> 31) {
        packets.extend(run.chunks(per_packet.max(1)));
    }
    for chunk in packets {
        let overflow = (chunk[0].t_us >> 31) as i32;
        let n = chunk.len() as i32;
        for v in [1i16, 1] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        // capacity, number, valid
        for v in [8, 4, overflow, n + 2, n + 1, n] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for e in chunk {
            let d = (u32::from(e.x) << 17) | (u32::from(e.y) << 2) | (u32::from(e.on) << 1) | 1;
            b.extend_from_slice(&d.to_le_bytes());
            b.extend_from_slice(&((e.t_us & 0x7FFF_FFFF) as i32).to_le_bytes());
        }
        // An invalid event (valid bit clear) at the last event's time, then
        // the unused slot.
        let last = chunk[chunk.len() - 1];
        let d = (u32::from(last.x) << 17) | (u32::from(last.y) << 2);
        b.extend_from_slice(&d.to_le_bytes());
        b.extend_from_slice(&((last.t_us & 0x7FFF_FFFF) as i32).to_le_bytes());
        b.extend_from_slice(&[0u8; 8]);
        // An IMU6 packet with one 36-byte sample: skipped by readers.
        for v in [3i16, 1] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for v in [36, 32, overflow, 1, 1, 1] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&[0u8; 36]);
    }
    b
}

fn prophesee_header(format_line: &str) -> Vec<u8> {
    format!("% date 2026-11-28 12:00:00\n% format {format_line}\n% end\n").into_bytes()
}

/// EVT 2.0 words.
pub fn evt2(events: &[CameraEvent], width: u32, height: u32) -> Vec<u8> {
    let mut b = prophesee_header(&format!("EVT2;height={height};width={width}"));
    let mut high = None;
    for e in events {
        let th = (e.t_us >> 6) as u32 & 0x0FFF_FFFF;
        if high != Some(th) {
            b.extend_from_slice(&((0x8 << 28) | th).to_le_bytes());
            high = Some(th);
        }
        let w = (u32::from(e.on) << 28)
            | (((e.t_us & 0x3F) as u32) << 22)
            | (u32::from(e.x) << 11)
            | u32::from(e.y);
        b.extend_from_slice(&w.to_le_bytes());
    }
    b
}

/// EVT 2.1 words: events with the same time, row, polarity and 32-column
/// group share one vector word. `legacy` = IMX636 half-swapped byte order.
pub fn evt21(events: &[CameraEvent], width: u32, height: u32, legacy: bool) -> Vec<u8> {
    let endian = if legacy { "endianness=legacy;" } else { "" };
    let mut b = prophesee_header(&format!("EVT21;{endian}height={height};width={width}"));
    let put = |b: &mut Vec<u8>, w: u64| {
        let (hi, lo) = ((w >> 32) as u32, w as u32);
        if legacy {
            b.extend_from_slice(&hi.to_le_bytes());
            b.extend_from_slice(&lo.to_le_bytes());
        } else {
            b.extend_from_slice(&w.to_le_bytes());
        }
    };
    let mut high = None;
    let mut i = 0;
    while i < events.len() {
        let e = events[i];
        let th = (e.t_us >> 6) as u64 & 0x0FFF_FFFF;
        if high != Some(th) {
            put(&mut b, (0x8u64 << 60) | (th << 32));
            high = Some(th);
        }
        let group = e.x & !31;
        let mut mask = 0u32;
        let mut j = i;
        while j < events.len() {
            let f = events[j];
            if f.t_us != e.t_us || f.y != e.y || f.on != e.on || f.x & !31 != group {
                break;
            }
            let bit = 1u32 << (f.x - group);
            if mask & bit != 0 {
                break;
            }
            mask |= bit;
            j += 1;
        }
        let w = (u64::from(e.on) << 60)
            | (((e.t_us & 0x3F) as u64) << 54)
            | (u64::from(group) << 43)
            | (u64::from(e.y) << 32)
            | u64::from(mask);
        put(&mut b, w);
        i = j;
    }
    b
}

/// EVT 3.0 words (single events only; vectors are decoded but not written).
pub fn evt3(events: &[CameraEvent], width: u32, height: u32) -> Vec<u8> {
    let mut b = prophesee_header(&format!("EVT3;height={height};width={width}"));
    let (mut high, mut low, mut y) = (None, None, None);
    for e in events {
        let th = (e.t_us >> 12) as u16 & 0xFFF;
        let tl = e.t_us as u16 & 0xFFF;
        if high != Some(th) {
            b.extend_from_slice(&((0x8 << 12) | th).to_le_bytes());
            high = Some(th);
            low = None;
        }
        if low != Some(tl) {
            b.extend_from_slice(&((0x6 << 12) | tl).to_le_bytes());
            low = Some(tl);
        }
        if y != Some(e.y) {
            b.extend_from_slice(&(e.y & 0x7FF).to_le_bytes());
            y = Some(e.y);
        }
        b.extend_from_slice(&((0x2 << 12) | (u16::from(e.on) << 11) | (e.x & 0x7FF)).to_le_bytes());
    }
    b
}

/// Prophesee DAT (version 2, CD events).
pub fn dat(events: &[CameraEvent], width: u32, height: u32) -> Vec<u8> {
    let mut b =
        format!("% Height {height}\n% Version 2\n% Width {width}\n% date 2026-11-28 12:00:00\n")
            .into_bytes();
    b.extend_from_slice(&[0x0C, 8]);
    for e in events {
        b.extend_from_slice(&(e.t_us as u32).to_le_bytes());
        let d = (u32::from(e.on) << 28) | (u32::from(e.y) << 14) | u32::from(e.x);
        b.extend_from_slice(&d.to_le_bytes());
    }
    b
}

/// Event Stream 2.0 (DVS).
pub fn event_stream(events: &[CameraEvent], width: u16, height: u16) -> Vec<u8> {
    let mut b = b"Event Stream".to_vec();
    b.extend_from_slice(&[2, 0, 0, 1]);
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    let mut t = 0i64;
    for e in events {
        let mut dt = e.t_us - t;
        while dt >= 127 {
            b.push(0xFF);
            dt -= 127;
        }
        t = e.t_us;
        b.push(((dt as u8) << 1) | u8::from(e.on));
        b.extend_from_slice(&e.x.to_le_bytes());
        b.extend_from_slice(&e.y.to_le_bytes());
    }
    b
}

/// CSV `t,x,y,p` with a header line.
pub fn csv(events: &[CameraEvent]) -> Vec<u8> {
    let mut s = String::from("t,x,y,p\n");
    for e in events {
        s.push_str(&format!("{},{},{},{}\n", e.t_us, e.x, e.y, u8::from(e.on)));
    }
    s.into_bytes()
}
