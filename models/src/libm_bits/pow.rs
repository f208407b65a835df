//! `pow(x, y)` with libm's bits, its common range computed inline.
//!
//! Why: the power-law STDP rule (`stdp_pl`) takes `w^mu` at every
//! facilitation, NEST's weights are reproduced bit for bit only with libm's
//! result, and the call into libm (an errno wrapper, then the ifunc-chosen
//! body) was the largest single cost of a plastic run. This is glibc's own
//! algorithm (since 2.28; `POW_LOG_TABLE_BITS` 7, a degree-8 log
//! polynomial): `x = 2^k z`, `log x = k ln2 + log c + log1p(z/c - 1)` in
//! two parts `hi + lo`, then `exp(y hi + y lo)` by [`super::exp`]'s table
//! path. The fused multiply-adds are those of glibc's FMA build, read from
//! its disassembly (glibc 2.36). Positive normal `x` with `2^-65 ≤ |y| <
//! 2^63` and `2^-54 ≤ |y log x| < 512` is computed here; every other
//! argument, and every build without FMA and AVX2, calls libm. The tests
//! compare the two bit for bit. They cannot see every operation: the low
//! parts of `log x` (about 2^-68 relative) reach the last bit so seldom
//! that regrouping their sum, or a multiply-add split in two, passed a
//! billion random calls unnoticed; the disassembly is the reference for those.

/// `x^y`, bit for bit libm's `pow`.
#[inline(always)]
pub fn pow(x: f64, y: f64) -> f64 {
    if super::INLINE {
        let (v, exact) = inline(x, y);
        if exact {
            return v;
        }
    }
    libm(x, y)
}

/// `out[i] = pow(x[i], y)`, bit for bit, all at once (see [`super::each`]):
/// several weights per vector instruction. Not inlined: inlined into the
/// STDP run update, the loop was left scalar.
#[inline(never)]
pub fn pow_each(x: &[f64], y: f64, out: &mut [f64]) {
    super::each(x, out, |x| inline(x, y), |x| libm(x, y));
}

/// The inline path's `x^y`, and whether it is libm's: positive normal `x`,
/// `2^-65 ≤ |y| < 2^63` and `y log x` in the table range (elsewhere the
/// value is meaningless, but computing it is harmless).
#[inline(always)]
fn inline(x: f64, y: f64) -> (f64, bool) {
    use super::exp::{in_table_range, table_path};
    let ix = x.to_bits();
    // The top 12 bits: 0x001..0x7fe is a positive normal x.
    let top_x = (ix >> 52) as u32;
    let top_y = ((y.to_bits() >> 52) & 0x7ff) as u32;
    let (hi, lo) = log_parts(ix);
    let ehi = y * hi;
    let elo = y.mul_add(lo, hi.mul_add(y, -ehi));
    let exact =
        (top_x.wrapping_sub(1) < 0x7fe) & (top_y.wrapping_sub(0x3be) < 0x80) & in_table_range(ehi);
    (table_path(ehi, elo), exact)
}

/// libm's `pow`, out of the way of the inline path.
#[cold]
#[inline(never)]
fn libm(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// `log x` as `hi + lo` (about 2^-68 relative error) for the bits `ix` of a
/// positive normal `x`, operation for operation as glibc's FMA build.
#[inline(always)]
fn log_parts(ix: u64) -> (f64, f64) {
    // x = 2^k z with z in [OFF, 2 OFF); the top bits of z - OFF pick c.
    let tmp = ix.wrapping_sub(OFF);
    let i = ((tmp >> 45) & 127) as usize;
    let k = ((tmp as i64) >> 52) as i32 as f64;
    let z = f64::from_bits(ix.wrapping_sub(tmp & (0xfff << 52)));
    let (invc, logc, logctail) = LOG_TABLE[i];
    let (invc, logc, logctail) = (
        f64::from_bits(invc),
        f64::from_bits(logc),
        f64::from_bits(logctail),
    );
    // r = z/c - 1, exact; hi = k ln2 + log c + r - r^2/2, the rest in lo.
    let r = z.mul_add(invc, -1.0);
    let t1 = k.mul_add(LN2_HI, logc);
    let t2 = t1 + r;
    let lo1 = k.mul_add(LN2_LO, logctail);
    let lo2 = t1 - t2 + r;
    let ar = A[0] * r;
    let ar2 = r * ar;
    let ar3 = r * ar2;
    let hi = t2 + ar2;
    let lo3 = ar.mul_add(r, -ar2);
    let lo4 = t2 - hi + ar2;
    let q = ar2.mul_add(
        ar2.mul_add(r.mul_add(A[6], A[5]), r.mul_add(A[4], A[3])),
        r.mul_add(A[2], A[1]),
    );
    let lo = ar3.mul_add(q, lo1 + lo2 + lo3 + lo4);
    let y = hi + lo;
    (y, hi - y + lo)
}

/// The bits of 0x1.69555p-1: `z` spans `[OFF, 2 OFF)`, so that `log z` is
/// near 0 only near `z = 1`.
const OFF: u64 = 0x3fe6_9555_0000_0000;

/// `ln2` in two parts, the high one with trailing zeros (k ln2hi is exact):
/// 0x1.62e42fefa3800p-1, 0x1.ef35793c76730p-45.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_3800);
const LN2_LO: f64 = f64::from_bits(0x3d2e_f357_93c7_6730);

/// The coefficients of `log1p(r)` past `r`, scaled so that the terms are
/// `A[0] r^2`, then `A[0] r^3 (A[1] + A[2] r + ...)`: -0x1p-1,
/// -0x1.5555555555560p-1, 0x1.0000000000006p-1, 0x1.999999959554ep-1,
/// -0x1.555555529a47ap-1, -0x1.2495b9b4845e9p+0, 0x1.0002b8b263fc3p+0.
const A: [f64; 7] = [
    f64::from_bits(0xbfe0_0000_0000_0000),
    f64::from_bits(0xbfe5_5555_5555_5560),
    f64::from_bits(0x3fe0_0000_0000_0006),
    f64::from_bits(0x3fe9_9999_9959_554e),
    f64::from_bits(0xbfe5_5555_5529_a47a),
    f64::from_bits(0xbff2_495b_9b48_45e9),
    f64::from_bits(0x3ff0_002b_8b26_3fc3),
];

/// Per subinterval: `(bits(1/c), bits(log c high), bits(log c low))`
/// (printed by `bench/pow_log_table.py`, which derives them as glibc does).
#[rustfmt::skip]
const LOG_TABLE: [(u64, u64, u64); 128] = [
    (0x3ff6a00000000000, 0xbfd62c82f2b9c800, 0x3cfab42428375680),
    (0x3ff6800000000000, 0xbfd5d1bdbf580800, 0xbd1ca508d8e0f720),
    (0x3ff6600000000000, 0xbfd5767717455800, 0xbd2362a4d5b6506d),
    (0x3ff6400000000000, 0xbfd51aad872df800, 0xbce684e49eb067d5),
    (0x3ff6200000000000, 0xbfd4be5f95777800, 0xbd041b6993293ee0),
    (0x3ff6000000000000, 0xbfd4618bc21c6000, 0x3d13d82f484c84cc),
    (0x3ff5e00000000000, 0xbfd404308686a800, 0x3cdc42f3ed820b3a),
    (0x3ff5c00000000000, 0xbfd3a64c55694800, 0x3d20b1c686519460),
    (0x3ff5a00000000000, 0xbfd347dd9a988000, 0x3d25594dd4c58092),
    (0x3ff5800000000000, 0xbfd2e8e2bae12000, 0x3d267b1e99b72bd8),
    (0x3ff5600000000000, 0xbfd2895a13de8800, 0x3d15ca14b6cfb03f),
    (0x3ff5600000000000, 0xbfd2895a13de8800, 0x3d15ca14b6cfb03f),
    (0x3ff5400000000000, 0xbfd22941fbcf7800, 0xbd165a242853da76),
    (0x3ff5200000000000, 0xbfd1c898c1699800, 0xbd1fafbc68e75404),
    (0x3ff5000000000000, 0xbfd1675cababa800, 0x3d1f1fc63382a8f0),
    (0x3ff4e00000000000, 0xbfd1058bf9ae4800, 0xbd26a8c4fd055a66),
    (0x3ff4c00000000000, 0xbfd0a324e2739000, 0xbd0c6bee7ef4030e),
    (0x3ff4a00000000000, 0xbfd0402594b4d000, 0xbcf036b89ef42d7f),
    (0x3ff4a00000000000, 0xbfd0402594b4d000, 0xbcf036b89ef42d7f),
    (0x3ff4800000000000, 0xbfcfb9186d5e4000, 0x3d0d572aab993c87),
    (0x3ff4600000000000, 0xbfcef0adcbdc6000, 0x3d2b26b79c86af24),
    (0x3ff4400000000000, 0xbfce27076e2af000, 0xbd172f4f543fff10),
    (0x3ff4200000000000, 0xbfcd5c216b4fc000, 0x3d21ba91bbca681b),
    (0x3ff4000000000000, 0xbfcc8ff7c79aa000, 0x3d27794f689f8434),
    (0x3ff4000000000000, 0xbfcc8ff7c79aa000, 0x3d27794f689f8434),
    (0x3ff3e00000000000, 0xbfcbc286742d9000, 0x3d194eb0318bb78f),
    (0x3ff3c00000000000, 0xbfcaf3c94e80c000, 0x3cba4e633fcd9066),
    (0x3ff3a00000000000, 0xbfca23bc1fe2b000, 0xbd258c64dc46c1ea),
    (0x3ff3a00000000000, 0xbfca23bc1fe2b000, 0xbd258c64dc46c1ea),
    (0x3ff3800000000000, 0xbfc9525a9cf45000, 0xbd2ad1d904c1d4e3),
    (0x3ff3600000000000, 0xbfc87fa06520d000, 0x3d2bbdbf7fdbfa09),
    (0x3ff3400000000000, 0xbfc7ab890210e000, 0x3d2bdb9072534a58),
    (0x3ff3400000000000, 0xbfc7ab890210e000, 0x3d2bdb9072534a58),
    (0x3ff3200000000000, 0xbfc6d60fe719d000, 0xbd10e46aa3b2e266),
    (0x3ff3000000000000, 0xbfc5ff3070a79000, 0xbd1e9e439f105039),
    (0x3ff3000000000000, 0xbfc5ff3070a79000, 0xbd1e9e439f105039),
    (0x3ff2e00000000000, 0xbfc526e5e3a1b000, 0xbd20de8b90075b8f),
    (0x3ff2c00000000000, 0xbfc44d2b6ccb8000, 0x3d170cc16135783c),
    (0x3ff2c00000000000, 0xbfc44d2b6ccb8000, 0x3d170cc16135783c),
    (0x3ff2a00000000000, 0xbfc371fc201e9000, 0x3cf178864d27543a),
    (0x3ff2800000000000, 0xbfc29552f81ff000, 0xbd248d301771c408),
    (0x3ff2600000000000, 0xbfc1b72ad52f6000, 0xbd2e80a41811a396),
    (0x3ff2600000000000, 0xbfc1b72ad52f6000, 0xbd2e80a41811a396),
    (0x3ff2400000000000, 0xbfc0d77e7cd09000, 0x3d0a699688e85bf4),
    (0x3ff2400000000000, 0xbfc0d77e7cd09000, 0x3d0a699688e85bf4),
    (0x3ff2200000000000, 0xbfbfec9131dbe000, 0xbd2575545ca333f2),
    (0x3ff2000000000000, 0xbfbe27076e2b0000, 0x3d2a342c2af0003c),
    (0x3ff2000000000000, 0xbfbe27076e2b0000, 0x3d2a342c2af0003c),
    (0x3ff1e00000000000, 0xbfbc5e548f5bc000, 0xbd1d0c57585fbe06),
    (0x3ff1c00000000000, 0xbfba926d3a4ae000, 0x3d253935e85baac8),
    (0x3ff1c00000000000, 0xbfba926d3a4ae000, 0x3d253935e85baac8),
    (0x3ff1a00000000000, 0xbfb8c345d631a000, 0x3d137c294d2f5668),
    (0x3ff1a00000000000, 0xbfb8c345d631a000, 0x3d137c294d2f5668),
    (0x3ff1800000000000, 0xbfb6f0d28ae56000, 0xbd269737c93373da),
    (0x3ff1600000000000, 0xbfb51b073f062000, 0x3d1f025b61c65e57),
    (0x3ff1600000000000, 0xbfb51b073f062000, 0x3d1f025b61c65e57),
    (0x3ff1400000000000, 0xbfb341d7961be000, 0x3d2c5edaccf913df),
    (0x3ff1400000000000, 0xbfb341d7961be000, 0x3d2c5edaccf913df),
    (0x3ff1200000000000, 0xbfb16536eea38000, 0x3d147c5e768fa309),
    (0x3ff1000000000000, 0xbfaf0a30c0118000, 0x3d2d599e83368e91),
    (0x3ff1000000000000, 0xbfaf0a30c0118000, 0x3d2d599e83368e91),
    (0x3ff0e00000000000, 0xbfab42dd71198000, 0x3d1c827ae5d6704c),
    (0x3ff0e00000000000, 0xbfab42dd71198000, 0x3d1c827ae5d6704c),
    (0x3ff0c00000000000, 0xbfa77458f632c000, 0xbd2cfc4634f2a1ee),
    (0x3ff0c00000000000, 0xbfa77458f632c000, 0xbd2cfc4634f2a1ee),
    (0x3ff0a00000000000, 0xbfa39e87b9fec000, 0x3cf502b7f526feaa),
    (0x3ff0a00000000000, 0xbfa39e87b9fec000, 0x3cf502b7f526feaa),
    (0x3ff0800000000000, 0xbf9f829b0e780000, 0xbd2980267c7e09e4),
    (0x3ff0800000000000, 0xbf9f829b0e780000, 0xbd2980267c7e09e4),
    (0x3ff0600000000000, 0xbf97b91b07d58000, 0xbd288d5493faa639),
    (0x3ff0400000000000, 0xbf8fc0a8b0fc0000, 0xbcdf1e7cf6d3a69c),
    (0x3ff0400000000000, 0xbf8fc0a8b0fc0000, 0xbcdf1e7cf6d3a69c),
    (0x3ff0200000000000, 0xbf7fe02a6b100000, 0xbd19e23f0dda40e4),
    (0x3ff0200000000000, 0xbf7fe02a6b100000, 0xbd19e23f0dda40e4),
    (0x3ff0000000000000, 0x0000000000000000, 0x0000000000000000),
    (0x3ff0000000000000, 0x0000000000000000, 0x0000000000000000),
    (0x3fefc00000000000, 0x3f80101575890000, 0xbd10c76b999d2be8),
    (0x3fef800000000000, 0x3f90205658938000, 0xbd23dc5b06e2f7d2),
    (0x3fef400000000000, 0x3f98492528c90000, 0xbd2aa0ba325a0c34),
    (0x3fef000000000000, 0x3fa0415d89e74000, 0x3d0111c05cf1d753),
    (0x3feec00000000000, 0x3fa466aed42e0000, 0xbd2c167375bdfd28),
    (0x3fee800000000000, 0x3fa894aa149fc000, 0xbd197995d05a267d),
    (0x3fee400000000000, 0x3faccb73cdddc000, 0xbd1a68f247d82807),
    (0x3fee200000000000, 0x3faeea31c006c000, 0xbd0e113e4fc93b7b),
    (0x3fede00000000000, 0x3fb1973bd1466000, 0xbd25325d560d9e9b),
    (0x3feda00000000000, 0x3fb3bdf5a7d1e000, 0x3d2cc85ea5db4ed7),
    (0x3fed600000000000, 0x3fb5e95a4d97a000, 0xbd2c69063c5d1d1e),
    (0x3fed400000000000, 0x3fb700d30aeac000, 0x3cec1e8da99ded32),
    (0x3fed000000000000, 0x3fb9335e5d594000, 0x3d23115c3abd47da),
    (0x3fecc00000000000, 0x3fbb6ac88dad6000, 0xbd1390802bf768e5),
    (0x3feca00000000000, 0x3fbc885801bc4000, 0x3d2646d1c65aacd3),
    (0x3fec600000000000, 0x3fbec739830a2000, 0xbd2dc068afe645e0),
    (0x3fec400000000000, 0x3fbfe89139dbe000, 0xbd2534d64fa10afd),
    (0x3fec000000000000, 0x3fc1178e8227e000, 0x3d21ef78ce2d07f2),
    (0x3febe00000000000, 0x3fc1aa2b7e23f000, 0x3d2ca78e44389934),
    (0x3feba00000000000, 0x3fc2d1610c868000, 0x3d039d6ccb81b4a1),
    (0x3feb800000000000, 0x3fc365fcb0159000, 0x3cc62fa8234b7289),
    (0x3feb400000000000, 0x3fc4913d8333b000, 0x3d25837954fdb678),
    (0x3feb200000000000, 0x3fc527e5e4a1b000, 0x3d2633e8e5697dc7),
    (0x3feae00000000000, 0x3fc6574ebe8c1000, 0x3d19cf8b2c3c2e78),
    (0x3feac00000000000, 0x3fc6f0128b757000, 0xbd25118de59c21e1),
    (0x3feaa00000000000, 0x3fc7898d85445000, 0xbd1c661070914305),
    (0x3fea600000000000, 0x3fc8beafeb390000, 0xbd073d54aae92cd1),
    (0x3fea400000000000, 0x3fc95a5adcf70000, 0x3d07f22858a0ff6f),
    (0x3fea000000000000, 0x3fca93ed3c8ae000, 0xbd28724350562169),
    (0x3fe9e00000000000, 0x3fcb31d8575bd000, 0xbd0c358d4eace1aa),
    (0x3fe9c00000000000, 0x3fcbd087383be000, 0xbd2d4bc4595412b6),
    (0x3fe9a00000000000, 0x3fcc6ffbc6f01000, 0xbcf1ec72c5962bd2),
    (0x3fe9600000000000, 0x3fcdb13db0d49000, 0xbd2aff2af715b035),
    (0x3fe9400000000000, 0x3fce530effe71000, 0x3cc212276041f430),
    (0x3fe9200000000000, 0x3fcef5ade4dd0000, 0xbcca211565bb8e11),
    (0x3fe9000000000000, 0x3fcf991c6cb3b000, 0x3d1bcbecca0cdf30),
    (0x3fe8c00000000000, 0x3fd07138604d5800, 0x3cf89cdb16ed4e91),
    (0x3fe8a00000000000, 0x3fd0c42d67616000, 0x3d27188b163ceae9),
    (0x3fe8800000000000, 0x3fd1178e8227e800, 0xbd2c210e63a5f01c),
    (0x3fe8600000000000, 0x3fd16b5ccbacf800, 0x3d2b9acdf7a51681),
    (0x3fe8400000000000, 0x3fd1bf99635a6800, 0x3d2ca6ed5147bdb7),
    (0x3fe8200000000000, 0x3fd214456d0eb800, 0x3d0a87deba46baea),
    (0x3fe7e00000000000, 0x3fd2bef07cdc9000, 0x3d2a9cfa4a5004f4),
    (0x3fe7c00000000000, 0x3fd314f1e1d36000, 0xbd28e27ad3213cb8),
    (0x3fe7a00000000000, 0x3fd36b6776be1000, 0x3d116ecdb0f177c8),
    (0x3fe7800000000000, 0x3fd3c25277333000, 0x3d183b54b606bd5c),
    (0x3fe7600000000000, 0x3fd419b423d5e800, 0x3d08e436ec90e09d),
    (0x3fe7400000000000, 0x3fd4718dc271c800, 0xbd2f27ce0967d675),
    (0x3fe7200000000000, 0x3fd4c9e09e173000, 0xbd2e20891b0ad8a4),
    (0x3fe7000000000000, 0x3fd522ae0738a000, 0x3d2ebe708164c759),
    (0x3fe6e00000000000, 0x3fd57bf753c8d000, 0x3d1fadedee5d40ef),
    (0x3fe6c00000000000, 0x3fd5d5bddf596000, 0xbd0a0b2a08a465dc),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(x: f64, y: f64) -> Result<(), String> {
        super::super::same_bits("pow", x, pow(x, y), x.powf(y))
            .map_err(|e| format!("{e}, y = {y:e}"))
    }

    #[test]
    fn agrees_with_libm_across_the_inline_range() {
        // Dense sweeps of x over (0, 4] (every subinterval many times over,
        // both sides of 1) with the exponents the rules use and others.
        let n = 200_000;
        for k in 1..=n {
            let x = 4.0 * k as f64 / n as f64;
            for y in [0.4, 0.05, 0.5, 1.0 / 3.0, 2.5, -0.7, 1e-3, 17.0] {
                same(x, y).unwrap();
            }
        }
        // Near 1, where log x is tiny, and near the subintervals' edges.
        for k in -20_000..20_000 {
            let x = 1.0 + k as f64 * 1e-9;
            same(x, 0.4).unwrap();
            same(x, 123.456).unwrap();
            let edge = f64::from_bits(OFF.wrapping_add((k as u64 & 255) << 45));
            same(edge, 0.4).unwrap();
            same(f64::from_bits(edge.to_bits() - 1), 0.4).unwrap();
        }
        let special = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            -2.0,
            0.5,
            1e-310,
            5e-324,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            -f64::INFINITY,
            f64::NAN,
            2f64.powi(-65),
            2f64.powi(63),
            1e-20,
            1e20,
            1e-17,
            700.0,
            1100.0,
        ];
        for &x in &special {
            for &y in &special {
                same(x, y).unwrap();
                same(x, -y).unwrap();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn agrees_with_libm_on_weights(w in 0.0f64..1000.0, mu in 0.0f64..1.0) {
            // The arguments the power-law rule passes: w^mu.
            same(w, mu).map_err(TestCaseError::fail)?;
        }

        #[test]
        fn agrees_with_libm_on_any_bits(x in any::<u64>(), y in any::<u64>()) {
            let (x, y) = (f64::from_bits(x), f64::from_bits(y));
            same(x, y).map_err(TestCaseError::fail)?;
        }

        /// The batch agrees lane for lane, whether or not one lane leaves the
        /// inline range.
        #[test]
        fn each_agrees_with_libm(ws in prop::collection::vec(0.0f64..10.0, 0..40), odd in any::<u64>(), at in any::<prop::sample::Index>(), mu in 0.05f64..1.0) {
            for with_odd in [false, true] {
                let mut x = ws.clone();
                if with_odd && !x.is_empty() {
                    x[at.index(ws.len())] = f64::from_bits(odd);
                }
                let mut out = vec![0.0; x.len()];
                pow_each(&x, mu, &mut out);
                for (&x, &got) in x.iter().zip(&out) {
                    super::super::same_bits("pow_each", x, got, x.powf(mu)).map_err(TestCaseError::fail)?;
                }
            }
        }

        #[test]
        fn agrees_with_libm_on_positive_x(x in 1e-300f64..1e300, y in -300.0f64..300.0) {
            same(x, y).map_err(TestCaseError::fail)?;
        }
    }
}
