//! Naming neurons: a population (`"E"`) or a slice of one with Python's
//! semantics (`"E[0:50]"`, `"E[::10]"`, `"E[-5:]"`, `"E[::-1]"`, `"E[3]"`),
//! wherever a model file names populations.

use super::context::PopBuild;

/// Some neurons of one population, in order: `count` of them, the first at
/// index `start` of the population, each `step` after the one before.
#[derive(Clone, Debug)]
pub(super) struct Selected {
    pub(super) pop: PopBuild,
    pub(super) start: u32,
    pub(super) step: i64,
    pub(super) count: u32,
}

impl Selected {
    /// The whole population.
    pub(super) fn all(pop: &PopBuild) -> Self {
        Selected {
            pop: pop.clone(),
            start: 0,
            step: 1,
            count: pop.size,
        }
    }

    /// Index (in its population) of the `j`-th selected neuron.
    #[inline]
    pub(super) fn index(&self, j: u32) -> u32 {
        (i64::from(self.start) + self.step * i64::from(j)) as u32
    }

    /// Gid of the `j`-th selected neuron.
    #[inline]
    pub(super) fn gid(&self, j: u32) -> u32 {
        self.pop.first_gid + self.index(j)
    }

    /// The selected gids, in order.
    pub(super) fn gids(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.count).map(|j| self.gid(j))
    }
}

/// `name` or `name[slice]` split into the population's name and the slice.
pub fn split(text: &str) -> (&str, Option<&str>) {
    let text = text.trim();
    match (text.find('['), text.strip_suffix(']')) {
        (Some(open), Some(body)) if open > 0 => (text[..open].trim(), Some(&body[open + 1..])),
        _ => (text, None),
    }
}

/// The neurons `slice` (the text between the brackets) picks from a
/// population of `size`, with Python's semantics: `a:b:c` (each part
/// optional, negatives count from the end, a negative step walks back) or
/// one index `i`. An error says what is wrong with it.
pub fn slice(slice: &str, size: u32) -> Result<(u32, i64, u32), String> {
    let n = i64::from(size);
    let int = |s: &str, what: &str| -> Result<Option<i64>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i64>()
            .map(Some)
            .map_err(|_| format!("`{s}` is not an integer {what}"))
    };
    let parts: Vec<&str> = slice.split(':').collect();
    if parts.len() == 1 {
        let i = int(parts[0], "index")?.ok_or("an empty index")?;
        let k = if i < 0 { i + n } else { i };
        if !(0..n).contains(&k) {
            return Err(format!("index {i} is outside a population of {size}"));
        }
        return Ok((k as u32, 1, 1));
    }
    if parts.len() > 3 {
        return Err("give start:stop or start:stop:step".into());
    }
    let step = match parts.get(2) {
        Some(s) => int(s, "step")?.unwrap_or(1),
        None => 1,
    };
    if step == 0 {
        return Err("the step must not be 0".into());
    }
    // Python's `slice.indices`: bounds clamped to the population.
    let bound = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(v) if v < 0 => {
                let v = v + n;
                if v < 0 {
                    if step < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    v
                }
            }
            Some(v) if v >= n => {
                if step < 0 {
                    n - 1
                } else {
                    n
                }
            }
            Some(v) => v,
        }
    };
    let (start, stop) = if step > 0 {
        (
            bound(int(parts[0], "start")?, 0),
            bound(int(parts[1], "stop")?, n),
        )
    } else {
        (
            bound(int(parts[0], "start")?, n - 1),
            bound(int(parts[1], "stop")?, -1),
        )
    };
    let count = if step > 0 && stop > start {
        (stop - start + step - 1) / step
    } else if step < 0 && start > stop {
        (start - stop - step - 1) / -step
    } else {
        0
    };
    if count == 0 {
        return Err(format!("selects no neuron of a population of {size}"));
    }
    Ok((start as u32, step, count as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indices Python's `list(range(n))[s]` gives.
    fn picked(s: &str, n: u32) -> Vec<u32> {
        let (start, step, count) = slice(s, n).unwrap();
        (0..count)
            .map(|j| (i64::from(start) + step * i64::from(j)) as u32)
            .collect()
    }

    #[test]
    fn python_slice_semantics() {
        assert_eq!(picked("0:5", 10), [0, 1, 2, 3, 4]);
        assert_eq!(picked("::3", 10), [0, 3, 6, 9]);
        assert_eq!(picked("-3:", 10), [7, 8, 9]);
        assert_eq!(picked("::-1", 4), [3, 2, 1, 0]);
        assert_eq!(picked("8:2:-3", 10), [8, 5]);
        assert_eq!(picked("2:100", 5), [2, 3, 4]);
        assert_eq!(picked("-100:2", 5), [0, 1]);
        assert_eq!(picked("3", 5), [3]);
        assert_eq!(picked("-1", 5), [4]);
        assert_eq!(picked(" 1 : 3 ", 5), [1, 2]);
    }

    #[test]
    fn bad_slices_say_why() {
        assert!(slice("5:2", 10).unwrap_err().contains("selects no neuron"));
        assert!(slice("::0", 10).unwrap_err().contains("step must not be 0"));
        assert!(slice("10", 10)
            .unwrap_err()
            .contains("outside a population of 10"));
        assert!(slice("a:2", 10)
            .unwrap_err()
            .contains("`a` is not an integer start"));
        assert!(slice("1:2:3:4", 10).is_err());
        assert!(slice("", 10).is_err());
    }

    #[test]
    fn names_split_from_slices() {
        assert_eq!(split("E[0:50]"), ("E", Some("0:50")));
        assert_eq!(split(" E "), ("E", None));
        assert_eq!(split("[1]"), ("[1]", None));
    }
}
