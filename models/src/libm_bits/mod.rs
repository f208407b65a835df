//! Elementary functions with libm's bits, their common ranges computed
//! inline ([`expm1`] for the exact current-based neurons, [`exp`] for the
//! STDP traces, [`pow`] for the power-law STDP rule).
//!
//! Why: NEST uses the same libm, and Volley matches it spike for spike and
//! weight for weight, so results must be libm's bits; but a call into libm
//! spills the caller's vector registers (and `exp` goes through an errno
//! wrapper). Each function here is glibc's own algorithm with the fused
//! multiply-adds of its FMA build (decisions 020, 021 and 022); every argument
//! outside the inline range, and every build without FMA and AVX2, calls
//! libm. Their tests compare them with libm bit for bit.

mod exp;
mod expm1;
mod pow;

/// Whether the inline paths run: only where libm's resolver picks the FMA
/// build whose operations they repeat (elsewhere the calls go to libm, and
/// the inline code is compiled but never reached).
const INLINE: bool = cfg!(all(target_feature = "fma", target_feature = "avx2"));

/// `out[i]` = the function of `x[i]` whose inline path is `inline` (the
/// value and whether it is libm's) and whose libm call is `libm`: the
/// inline path for all of them at once, in a loop without branches that
/// the compiler turns into vector instructions (each lane doing the scalar
/// operations); arguments outside the inline range are then taken again,
/// by libm (a `#[cold]` call, which the compiler cannot hoist onto every
/// lane).
#[inline(always)]
fn each(
    x: &[f64],
    out: &mut [f64],
    inline: impl Fn(f64) -> (f64, bool),
    libm: impl Fn(f64) -> f64,
) {
    if !INLINE {
        for (o, &x) in out.iter_mut().zip(x) {
            *o = libm(x);
        }
        return;
    }
    let mut exact = true;
    for (o, &x) in out.iter_mut().zip(x) {
        let (v, ok) = inline(x);
        *o = v;
        exact &= ok;
    }
    if !exact {
        for (o, &x) in out.iter_mut().zip(x) {
            if !inline(x).1 {
                *o = libm(x);
            }
        }
    }
}

pub(crate) use exp::{exp, exp_each};
pub(crate) use expm1::expm1;
pub(crate) use pow::{pow, pow_each};

/// `Ok` if `got` (our `name(x)`) has the bits of `want` (libm's; NaN: both
/// NaN), for the tests of the functions here.
#[cfg(test)]
fn same_bits(name: &str, x: f64, got: f64, want: f64) -> Result<(), String> {
    if got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()) {
        Ok(())
    } else {
        Err(format!("{name}({x:e}): {got:e} vs libm {want:e}"))
    }
}
