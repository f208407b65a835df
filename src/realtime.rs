//! Pacing a run to the wall clock (`--realtime`): how well it kept up.

use serde::Serialize;

/// How a run paced to the wall clock (`--realtime`) kept up with it.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct RealtimeReport {
    /// Wall time over simulated time, sleeps excluded (1: exactly real
    /// time; above 1: slower than real time).
    pub slowdown: f64,
    /// How far the simulation lagged behind the wall clock at its worst
    /// (s; 0 if it always kept up).
    pub max_behind_s: f64,
    /// The lag at the end (s; 0 if it kept up).
    pub final_behind_s: f64,
    /// Steps (of ~10 ms simulated) that ended behind the wall clock.
    pub steps_behind: u64,
    /// Steps in all.
    pub steps: u64,
}

impl RealtimeReport {
    /// One step ended at `simulated_s` with `wall_s` of wall time elapsed;
    /// how far the simulation is ahead of the wall clock (s; negative:
    /// behind).
    pub fn step(&mut self, simulated_s: f64, wall_s: f64) -> f64 {
        let ahead = simulated_s - wall_s;
        let behind = (-ahead).max(0.0);
        self.steps += 1;
        if behind > 0.0 {
            self.steps_behind += 1;
        }
        self.max_behind_s = self.max_behind_s.max(behind);
        self.final_behind_s = behind;
        ahead
    }

    /// One line for the terminal.
    pub fn describe(&self) -> String {
        if self.steps_behind == 0 {
            format!(
                "real time: kept up ({:.2}x of real time used)",
                self.slowdown
            )
        } else {
            // Behind at some step, yet maybe faster than real time overall
            // (the first step reads the recording ahead).
            let pace = if self.slowdown > 1.0 {
                "slower than real time"
            } else {
                "of real time used"
            };
            format!(
                "real time: {:.2}x {pace}; {} of {} steps behind, {:.0} ms behind at worst, {:.0} ms at the end",
                self.slowdown,
                self.steps_behind,
                self.steps,
                self.max_behind_s * 1e3,
                self.final_behind_s * 1e3
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_behind_are_counted_and_described() {
        let mut r = RealtimeReport::default();
        assert_eq!(r.step(0.010, 0.004), 0.006, "6 ms ahead");
        r.slowdown = 0.9;
        assert_eq!(r.describe(), "real time: kept up (0.90x of real time used)");
        assert!(r.step(0.020, 0.023) < 0.0);
        assert!(r.step(0.030, 0.028) > 0.0);
        assert_eq!((r.steps, r.steps_behind), (3, 1));
        assert!((r.max_behind_s - 0.003).abs() < 1e-12 && r.final_behind_s == 0.0);
        assert_eq!(
            r.describe(),
            "real time: 0.90x of real time used; 1 of 3 steps behind, 3 ms behind at worst, 0 ms at the end"
        );
        r.slowdown = 1.25;
        assert!(r
            .describe()
            .starts_with("real time: 1.25x slower than real time;"));
    }
}
