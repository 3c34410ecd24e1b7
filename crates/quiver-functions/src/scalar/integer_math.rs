//! Integer functions: `gcd`, `lcm`, `factorial`, `bit_count`, `xor`,
//! `even`. Results that do not fit a BIGINT are errors.

use super::row_fn::{Kind, Out, RowFunction, Val};

use Kind::{Float, Int};

fn gcd_of(a: i64, b: i64) -> Result<i64, String> {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i64::try_from(a).map_err(|_| "the result does not fit a BIGINT".to_string())
}

fn gcd(v: &[Val]) -> Result<Out, String> {
    gcd_of(v[0].int(), v[1].int()).map(Out::Int)
}

fn lcm(v: &[Val]) -> Result<Out, String> {
    let (a, b) = (v[0].int(), v[1].int());
    if a == 0 || b == 0 {
        return Ok(Out::Int(0));
    }
    (a / gcd_of(a, b)?)
        .checked_mul(b)
        .map(|l| Out::Int(l.abs()))
        .ok_or_else(|| "the result does not fit a BIGINT".into())
}

fn factorial(v: &[Val]) -> Result<Out, String> {
    let n = v[0].int();
    if n < 0 {
        return Err(format!(
            "the factorial of a negative number ({n}) is undefined"
        ));
    }
    (1..=n)
        .try_fold(1i64, |acc, k| acc.checked_mul(k))
        .map(Out::Int)
        .ok_or_else(|| format!("{n}! does not fit a BIGINT (the largest is 20!)"))
}

/// The number of bits set in the two's complement form.
fn bit_count(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(i64::from(v[0].int().count_ones())))
}

fn xor(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(v[0].int() ^ v[1].int()))
}

/// The nearest even integer away from zero.
fn even(v: &[Val]) -> Result<Out, String> {
    let x = v[0].float();
    let up = (x.abs() / 2.0).ceil() * 2.0;
    Ok(Out::Float(if x < 0.0 { -up } else { up }))
}

/// The integer functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("gcd", &[Int, Int], 0, Int, gcd)
            .with_aliases(&["greatest_common_divisor"]),
        RowFunction::new("lcm", &[Int, Int], 0, Int, lcm).with_aliases(&["least_common_multiple"]),
        RowFunction::new("factorial", &[Int], 0, Int, factorial),
        RowFunction::new("bit_count", &[Int], 0, Int, bit_count),
        RowFunction::new("xor", &[Int, Int], 0, Int, xor),
        RowFunction::new("even", &[Float], 0, Float, even),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i64) -> Val<'static> {
        Val::Int(v)
    }

    #[test]
    fn divisors_and_multiples() {
        assert_eq!(gcd(&[int(12), int(-18)]), Ok(Out::Int(6)));
        assert_eq!(gcd(&[int(0), int(5)]), Ok(Out::Int(5)));
        assert_eq!(lcm(&[int(4), int(6)]), Ok(Out::Int(12)));
        assert_eq!(lcm(&[int(0), int(6)]), Ok(Out::Int(0)));
        assert!(lcm(&[int(i64::MAX), int(i64::MAX - 1)]).is_err());
        assert!(gcd(&[int(i64::MIN), int(0)]).is_err());
    }

    #[test]
    fn factorials_bits_and_evens() {
        assert_eq!(factorial(&[int(5)]), Ok(Out::Int(120)));
        assert_eq!(
            factorial(&[int(20)]),
            Ok(Out::Int(2_432_902_008_176_640_000))
        );
        assert!(factorial(&[int(21)]).is_err());
        assert!(factorial(&[int(-1)]).is_err());
        assert_eq!(bit_count(&[int(7)]), Ok(Out::Int(3)));
        assert_eq!(bit_count(&[int(-1)]), Ok(Out::Int(64)));
        assert_eq!(xor(&[int(6), int(3)]), Ok(Out::Int(5)));
        assert_eq!(even(&[Val::Float(2.5)]), Ok(Out::Float(4.0)));
        assert_eq!(even(&[Val::Float(-2.5)]), Ok(Out::Float(-4.0)));
    }
}
