//! A run's output folder, written so that what is there is never half a run.
//!
//! - Every file is written under a temporary name (`.partial.<name>`, the
//!   extension kept so image encoders still know the format) and renamed
//!   when complete: a reader sees the old file or the whole new one.
//! - Before a run writes anything, [`prepare`] removes `summary.json` (the
//!   marker of a complete run, written last) and every file the previous run
//!   in the folder wrote — they are listed in `.volley-outputs` as each is
//!   completed — and any partial file left by a killed run. A folder then
//!   holds one run's files: complete with a `summary.json`, incomplete
//!   without one, never an earlier run's beside a later one's.
//! - Files Volley does not own are left alone.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The list of files the run in a folder has completed, one name per line.
pub const MANIFEST: &str = ".volley-outputs";
/// What marks a complete run; written last.
pub const SUMMARY: &str = "summary.json";
const PARTIAL_PREFIX: &str = ".partial.";

/// Make `dir` ready for a new run (see the module doc).
pub fn prepare(dir: &Path) -> io::Result<()> {
    prepare_keeping(dir, &[])
}

/// [`prepare`], but the temporary files of `keep` (final names) stay: a
/// resumed run continues them.
pub fn prepare_keeping(dir: &Path, keep: &[String]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    for name in keep.iter().filter(|n| is_plain_name(n)) {
        // A run that finished after its checkpoint renamed the file.
        let (done, going) = (dir.join(name), partial(&dir.join(name)));
        if !going.exists() && done.exists() {
            fs::rename(&done, &going)?;
        }
    }
    remove_if_there(&dir.join(SUMMARY))?;
    let manifest = dir.join(MANIFEST);
    if let Ok(text) = fs::read_to_string(&manifest) {
        for name in text.lines().filter(|l| is_plain_name(l)) {
            remove_if_there(&dir.join(name))?;
        }
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(|n| {
            n.strip_prefix(PARTIAL_PREFIX)
                .is_some_and(|name| !keep.iter().any(|k| k == name))
        }) {
            remove_if_there(&entry.path())?;
        }
    }
    remove_if_there(&manifest)
}

/// Where the file that becomes `path` is written until it is complete.
pub fn partial(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    path.with_file_name(format!("{PARTIAL_PREFIX}{}", name.unwrap_or_default()))
}

/// `path`'s partial file is complete: give it its name and list it.
pub fn commit(path: &Path) -> io::Result<()> {
    fs::rename(partial(path), path)?;
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(());
    };
    let mut list = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(MANIFEST))?;
    writeln!(list, "{}", name.to_string_lossy())
}

/// Write the file `path` with `write` (given the partial path), then commit
/// it; nothing is renamed if `write` fails.
pub fn write_with<T, E: From<io::Error>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let value = write(&partial(path))?;
    commit(path)?;
    Ok(value)
}

/// Write `bytes` as the file `path`, atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |p| fs::write(p, bytes))
}

fn remove_if_there(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A file name of the folder itself (a damaged manifest must not reach
/// outside it).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_run_removes_what_the_last_one_wrote_and_only_that() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        prepare(d).unwrap();
        write_bytes(&d.join("raster.png"), b"old").unwrap();
        write_bytes(&d.join(SUMMARY), b"{}").unwrap();
        fs::write(d.join("notes.txt"), "mine").unwrap();
        fs::write(partial(&d.join("spikes.csv")), "half").unwrap();
        prepare(d).unwrap();
        let mut left: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec!["notes.txt".to_string()]);
    }

    #[test]
    fn a_failed_write_leaves_no_file_under_the_final_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spikes.csv");
        let r: io::Result<()> = write_with(&path, |p| {
            fs::write(p, "half")?;
            Err(io::Error::other("killed"))
        });
        assert!(r.is_err());
        assert!(!path.exists());
    }

    #[test]
    fn a_manifest_cannot_name_files_outside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("keep.txt");
        fs::write(&outside, "keep").unwrap();
        let run = dir.path().join("run");
        fs::create_dir(&run).unwrap();
        fs::write(run.join(MANIFEST), "../keep.txt\n/etc/passwd\n").unwrap();
        prepare(&run).unwrap();
        assert!(outside.exists());
    }
}
