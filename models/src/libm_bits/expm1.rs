//! `expm1(x)` with libm's bits, its common range computed inline.
//!
//! Why: an exact `lif_exp` input evaluates two `expm1`s, each a call into
//! libm — and every vector register is caller-saved, so the neuron's state
//! is spilled and reloaded around both. The results must stay libm's bits
//! (NEST's precise models use the same libm, and Volley matches them spike
//! for spike), so the inline path is libm's own algorithm for `|x| ≤ ln2/2`
//! (no argument reduction): glibc's `expm1` (fdlibm's, with its rational
//! correction and the polynomial in `hxs = x²/2` evaluated in Estrin's
//! form), operation for operation with the fused multiply-adds of glibc's
//! FMA build — the build glibc runs on every CPU that has FMA and AVX2,
//! which is what a binary compiled with those features runs on. Every
//! other argument (tiny, large, NaN, ±inf), and every build without those
//! features, calls libm. The tests check the two against each other.

/// `expm1(x)`, bit for bit libm's.
#[inline(always)]
pub fn expm1(x: f64) -> f64 {
    if super::INLINE {
        // libm's paths by the high word of |x|: x itself below 2^-54, no
        // reduction up to 0.5 ln2, reduction by k ln2 up to 56 ln2, then
        // -1 (x < 0) or overflow. The neurons pass -dt/tau: the inline
        // paths are the first two for both signs and the third for x < 0.
        let high = ((x.to_bits() >> 32) as u32) & 0x7fff_ffff;
        if high.wrapping_sub(TINY_HIGH) <= HALF_LN2_HIGH - TINY_HIGH {
            let (hxs, e) = rational(x);
            return x - e.mul_add(x, -hxs);
        }
        if x < 0.0 && high > HALF_LN2_HIGH && high <= MAX_REDUCED_HIGH {
            return reduced_negative(x, high);
        }
    }
    libm(x)
}

/// libm's `expm1`, out of the way of the inline paths (the registers a
/// call clobbers are saved on its path only).
#[cold]
#[inline(never)]
fn libm(x: f64) -> f64 {
    x.exp_m1()
}

/// The smallest high word of `|x|` that libm does not return as `x`.
const TINY_HIGH: u32 = 0x3c90_0000;
/// The largest high word of `|x|` that libm computes without reduction.
const HALF_LN2_HIGH: u32 = 0x3fd6_2e42;
/// The largest high word of `|x|` reduced by `k = -1` (1.5 ln2).
const ONE_LN2_HIGH: u32 = 0x3ff0_a2b1;
/// The largest high word of `|x|` that libm reduces (56 ln2).
const MAX_REDUCED_HIGH: u32 = 0x4043_6879;
/// `ln 2` in two parts (the high one with trailing zeros: `k ln2_hi` is
/// exact), and `1 / ln 2`.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INV_LN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
/// fdlibm's coefficients of the rational approximation (in `hxs`):
/// -3.33333333333331316e-2, 1.58730158725481460e-3,
/// -7.93650757867487942e-5, 4.00821782732936240e-6,
/// -2.01099218183624371e-7, as bits.
const Q: [f64; 5] = [
    f64::from_bits(0xbfa1_1111_1111_10f4),
    f64::from_bits(0x3f5a_01a0_19fe_5585),
    f64::from_bits(0xbf14_ce19_9eaa_dbb7),
    f64::from_bits(0x3ed0_cfca_86e6_5239),
    f64::from_bits(0xbe8a_fdb7_6e09_c32d),
];

/// libm's rational approximation at `|x| ≤ 0.5 ln2`, in its order of
/// operations and with its fused multiply-adds: `hxs = x²/2` and the
/// correction `e` (`expm1(x) = x - (x e - hxs)` before reduction).
#[inline(always)]
fn rational(x: f64) -> (f64, f64) {
    let hfx = 0.5 * x;
    let hxs = x * hfx;
    let r1 = {
        let low = hxs.mul_add(Q[0], 1.0);
        let mid = hxs.mul_add(Q[2], Q[1]);
        let high = hxs.mul_add(Q[4], Q[3]);
        let h2 = hxs * hxs;
        let h4 = h2 * h2;
        h4.mul_add(high, h2.mul_add(mid, low))
    };
    let t = (-r1).mul_add(hfx, 3.0);
    (hxs, hxs * ((r1 - t) / (-x).mul_add(t, 6.0)))
}

/// libm's `expm1` for `-56 ln2 ≤ x < -0.5 ln2`: `x = k ln2 + r` with
/// `|r| ≤ 0.5 ln2` (and `c`, the rounding of `r`), then `2^k e^r - 1`.
/// Inline: a synaptic current's decay takes this path after gaps longer
/// than `0.35 tau_syn` (most of a microcircuit's, at 0.5 ms), and a call
/// would spill the neuron's state around it.
#[inline(always)]
fn reduced_negative(x: f64, high: u32) -> f64 {
    let (k, hi, lo) = if high <= ONE_LN2_HIGH {
        (-1, x + LN2_HI, -LN2_LO)
    } else {
        let k = (x * INV_LN2 + -0.5) as i32;
        let t = f64::from(k);
        (k, (-t).mul_add(LN2_HI, x), t * LN2_LO)
    };
    let r = hi - lo;
    let c = (hi - r) - lo;
    let (hxs, e) = rational(r);
    let e = (e - c).mul_add(r, -c) - hxs;
    if k == -1 {
        return 0.5f64.mul_add(r - e, -0.5);
    }
    // k ≤ -2: scale 1 + expm1(r) by 2^k in its exponent field.
    let y = 1.0 - (e - r);
    f64::from_bits(y.to_bits().wrapping_add((i64::from(k) as u64) << 52)) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(x: f64) -> Result<(), String> {
        super::super::same_bits("expm1", x, expm1(x), x.exp_m1())
    }

    #[test]
    fn agrees_with_libm_across_the_inline_range() {
        // A dense sweep of the inline range, both signs, and its edges.
        let n = 400_000;
        for k in 0..=n {
            let x = 0.35 * k as f64 / n as f64;
            same(x).unwrap();
            same(-x).unwrap();
        }
        // The reduced range (x < 0), densely, and where k changes.
        for k in 0..=n {
            same(-0.34 - 40.0 * k as f64 / n as f64).unwrap();
        }
        for k in 1..60 {
            let edge = (k as f64 + 0.5) * std::f64::consts::LN_2;
            for d in [-1e-12, -1e-15, 0.0, 1e-15, 1e-12] {
                same(-(edge + d)).unwrap();
            }
        }
        for &x in &[
            0.5 * std::f64::consts::LN_2,
            1.5 * std::f64::consts::LN_2,
            56.0 * std::f64::consts::LN_2,
            f64::from_bits(0x3ff0_a2b1_ffff_ffff),
            f64::from_bits(0x3ff0_a2b2_0000_0000),
            f64::from_bits(0x4043_6879_ffff_ffff),
            f64::from_bits(0x4043_687a_0000_0000),
            f64::from_bits(0x3fd6_2e42_ffff_ffff),
            f64::from_bits(0x3fd6_2e43_0000_0000),
            f64::from_bits(0x3c90_0000_0000_0000),
            f64::from_bits(0x3c8f_ffff_ffff_ffff),
            1e-300,
            5e-324,
            0.0,
            -0.0,
            1.0,
            -1.0,
            -40.0,
            710.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            same(x).unwrap();
            same(-x).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn agrees_with_libm_on_gaps(dt in 1e-12f64..50.0, tau in 0.05f64..100.0) {
            // The arguments the neurons pass: -dt/tau.
            same(-dt / tau).map_err(TestCaseError::fail)?;
        }

        #[test]
        fn agrees_with_libm_on_any_bits(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            same(x).map_err(TestCaseError::fail)?;
        }
    }
}
