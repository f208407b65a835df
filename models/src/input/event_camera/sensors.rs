//! Sensor sizes known from headers or from the camera model, for files that
//! do not store their geometry.

/// `WxH` as in `% geometry 1280x720`.
pub(crate) fn parse_wxh(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.trim().split_once(['x', 'X'])?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

/// Geometry from Prophesee header lines: `geometry WxH`, a `format` line
/// with `width=`/`height=`, `Width`/`Height` lines (DAT), or the sensor
/// generation named by the plugin / integrator lines.
pub(crate) fn prophesee_geometry(lines: &[String]) -> Option<(u32, u32)> {
    use super::header::value;
    if let Some(g) = value(lines, "geometry").and_then(parse_wxh) {
        return Some(g);
    }
    if let Some(f) = value(lines, "format") {
        let mut w = None;
        let mut h = None;
        for part in f.split(';') {
            if let Some((k, v)) = part.split_once('=') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "width" => w = v.trim().parse().ok(),
                    "height" => h = v.trim().parse().ok(),
                    _ => {}
                }
            }
        }
        if let (Some(w), Some(h)) = (w, h) {
            return Some((w, h));
        }
    }
    if let (Some(w), Some(h)) = (value(lines, "width"), value(lines, "height")) {
        if let (Ok(w), Ok(h)) = (w.parse(), h.parse()) {
            return Some((w, h));
        }
    }
    let known = [
        ("genx320", (320, 320)),
        ("gen41", (1280, 720)),
        ("gen4", (1280, 720)),
        ("imx636", (1280, 720)),
        ("imx646", (1280, 720)),
        ("evk4", (1280, 720)),
        ("gen31", (640, 480)),
        ("gen3", (640, 480)),
    ];
    for key in ["plugin_name", "sensor_generation", "camera_integrator_name"] {
        if let Some(v) = value(lines, key) {
            let v = v.to_ascii_lowercase().replace(['.', ' '], "");
            for (name, g) in known {
                if v.contains(name) {
                    return Some(g);
                }
            }
        }
    }
    None
}

/// Sensor size of an iniVation / jAER chip class (e.g. `eu.seebetter.ini.chips.davis.DAVIS240C`).
pub(crate) fn inivation_geometry(chip: &str) -> Option<(u32, u32)> {
    let c = chip.to_ascii_uppercase();
    let known = [
        ("DAVIS346", (346, 260)),
        ("DAVIS240", (240, 180)),
        ("DAVIS640", (640, 480)),
        ("DAVIS128", (128, 128)),
        ("DVS128", (128, 128)),
        ("DVXPLORERLITE", (320, 240)),
        ("DVXPLORER_LITE", (320, 240)),
        ("DVXPLORER", (640, 480)),
    ];
    known.iter().find(|(k, _)| c.contains(k)).map(|&(_, g)| g)
}
