//! Math functions over DOUBLE: `sqrt`, `cbrt`, `ln`, `log`, `log10`,
//! `log2`, `exp`, `power`, `sign`, `pi`, the trigonometric and hyperbolic
//! functions, `degrees`, `radians`, `isnan`, `isinf`, `isfinite` (also of
//! dates and timestamps, which are always finite), `width_bucket`. Arguments of any numeric type are
//! converted to DOUBLE; undefined inputs (such as the square root of a
//! negative number) are errors, as in PostgreSQL.

use std::sync::Arc;

use quiver_expr::ScalarFunction;

use super::row_fn::{Kind, Out, Overloaded, RowFunction, Val};

use Kind::{Bool, Float, Int, Timestamp};

fn defined(x: f64, what: &str) -> Result<Out, String> {
    if x.is_nan() {
        Err(format!("{what} is not defined for this input"))
    } else {
        Ok(Out::Float(x))
    }
}

fn sqrt(v: &[Val]) -> Result<Out, String> {
    let x = v[0].float();
    if x < 0.0 {
        return Err("cannot take the square root of a negative number".into());
    }
    Ok(Out::Float(x.sqrt()))
}

fn cbrt(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().cbrt()))
}

fn logarithm(x: f64, f: impl Fn(f64) -> f64) -> Result<Out, String> {
    if x <= 0.0 {
        return Err("cannot take the logarithm of zero or a negative number".into());
    }
    Ok(Out::Float(f(x)))
}

fn ln(v: &[Val]) -> Result<Out, String> {
    logarithm(v[0].float(), f64::ln)
}

fn log10(v: &[Val]) -> Result<Out, String> {
    logarithm(v[0].float(), f64::log10)
}

fn log2(v: &[Val]) -> Result<Out, String> {
    logarithm(v[0].float(), f64::log2)
}

fn exp(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().exp()))
}

fn power(v: &[Val]) -> Result<Out, String> {
    let (x, y) = (v[0].float(), v[1].float());
    if x == 0.0 && y < 0.0 {
        return Err("zero raised to a negative power is undefined".into());
    }
    defined(x.powf(y), "a negative number raised to a non-integer power")
}

fn sign(v: &[Val]) -> Result<Out, String> {
    let x = v[0].float();
    Ok(Out::Float(if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

fn pi(_: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(std::f64::consts::PI))
}

/// `log(x)` is the base-10 logarithm; `log(b, x)` the base-`b` one.
fn log(v: &[Val]) -> Result<Out, String> {
    match v {
        [x] => logarithm(x.float(), f64::log10),
        [base, x] => {
            let b = base.float();
            if b <= 0.0 || b == 1.0 {
                return Err(format!("{b} is not a valid base for a logarithm"));
            }
            logarithm(x.float(), |x| x.ln() / b.ln())
        }
        _ => Err("log takes one or two arguments".into()),
    }
}

/// A trigonometric function whose domain is `[-1, 1]`.
fn inverse_trig(x: f64, f: fn(f64) -> f64) -> Result<Out, String> {
    if !(-1.0..=1.0).contains(&x) {
        return Err(format!("{x} is outside the range [-1, 1]"));
    }
    Ok(Out::Float(f(x)))
}

fn sin(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().sin()))
}

fn cos(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().cos()))
}

fn tan(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().tan()))
}

fn cot(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(1.0 / v[0].float().tan()))
}

fn asin(v: &[Val]) -> Result<Out, String> {
    inverse_trig(v[0].float(), f64::asin)
}

fn acos(v: &[Val]) -> Result<Out, String> {
    inverse_trig(v[0].float(), f64::acos)
}

fn atan(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().atan()))
}

fn atan2(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().atan2(v[1].float())))
}

fn sinh(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().sinh()))
}

fn cosh(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().cosh()))
}

fn tanh(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().tanh()))
}

fn asinh(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().asinh()))
}

fn acosh(v: &[Val]) -> Result<Out, String> {
    let x = v[0].float();
    if x < 1.0 {
        return Err(format!("{x} is below 1, where acosh is not defined"));
    }
    Ok(Out::Float(x.acosh()))
}

fn atanh(v: &[Val]) -> Result<Out, String> {
    let x = v[0].float();
    if x <= -1.0 || x >= 1.0 {
        return Err(format!("{x} is outside the range (-1, 1)"));
    }
    Ok(Out::Float(x.atanh()))
}

fn degrees(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().to_degrees()))
}

fn radians(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Float(v[0].float().to_radians()))
}

fn isnan(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(v[0].float().is_nan()))
}

fn isinf(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(v[0].float().is_infinite()))
}

fn isfinite(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(v[0].float().is_finite()))
}

/// Dates and timestamps are never infinite in Quiver (it has no
/// `'infinity'` date).
fn never(_: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(false))
}

fn always(_: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(true))
}

/// `isinf` and `isfinite`, of numbers or of dates and timestamps.
pub fn overloaded() -> Vec<Arc<dyn ScalarFunction>> {
    let of = |name, number, moment| {
        Arc::new(Overloaded::new(vec![
            RowFunction::new(name, &[Float], 0, Bool, number),
            RowFunction::new(name, &[Timestamp], 0, Bool, moment),
        ])) as Arc<dyn ScalarFunction>
    };
    vec![of("isinf", isinf, never), of("isfinite", isfinite, always)]
}

/// The bucket (1 to `count`) that `x` falls in when `[low, high)` is cut
/// into `count` equal buckets; 0 below, `count + 1` at or above.
fn width_bucket(v: &[Val]) -> Result<Out, String> {
    let (x, low, high, count) = (v[0].float(), v[1].float(), v[2].float(), v[3].int());
    if count <= 0 {
        return Err(format!("the bucket count must be positive, got {count}"));
    }
    if low == high || !low.is_finite() || !high.is_finite() {
        return Err("the lower and upper bounds must be different finite numbers".into());
    }
    if x.is_nan() {
        return Err("the operand must not be NaN".into());
    }
    let bucket = if low < high {
        if x < low {
            0
        } else if x >= high {
            count + 1
        } else {
            ((x - low) / (high - low) * count as f64) as i64 + 1
        }
    } else if x > low {
        0
    } else if x <= high {
        count + 1
    } else {
        ((low - x) / (low - high) * count as f64) as i64 + 1
    };
    Ok(Out::Int(bucket))
}

/// The DOUBLE math functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("sqrt", &[Float], 0, Float, sqrt),
        RowFunction::new("cbrt", &[Float], 0, Float, cbrt),
        RowFunction::new("ln", &[Float], 0, Float, ln),
        RowFunction::new("log10", &[Float], 0, Float, log10),
        RowFunction::new("log2", &[Float], 0, Float, log2),
        RowFunction::new("exp", &[Float], 0, Float, exp),
        RowFunction::new("power", &[Float, Float], 0, Float, power).with_aliases(&["pow"]),
        RowFunction::new("sign", &[Float], 0, Float, sign),
        RowFunction::new("pi", &[], 0, Float, pi),
        RowFunction::new("log", &[Float, Float], 1, Float, log),
        RowFunction::new("sin", &[Float], 0, Float, sin),
        RowFunction::new("cos", &[Float], 0, Float, cos),
        RowFunction::new("tan", &[Float], 0, Float, tan),
        RowFunction::new("cot", &[Float], 0, Float, cot),
        RowFunction::new("asin", &[Float], 0, Float, asin),
        RowFunction::new("acos", &[Float], 0, Float, acos),
        RowFunction::new("atan", &[Float], 0, Float, atan),
        RowFunction::new("atan2", &[Float, Float], 0, Float, atan2),
        RowFunction::new("sinh", &[Float], 0, Float, sinh),
        RowFunction::new("cosh", &[Float], 0, Float, cosh),
        RowFunction::new("tanh", &[Float], 0, Float, tanh),
        RowFunction::new("asinh", &[Float], 0, Float, asinh),
        RowFunction::new("acosh", &[Float], 0, Float, acosh),
        RowFunction::new("atanh", &[Float], 0, Float, atanh),
        RowFunction::new("degrees", &[Float], 0, Float, degrees),
        RowFunction::new("radians", &[Float], 0, Float, radians),
        RowFunction::new("isnan", &[Float], 0, Bool, isnan),
        RowFunction::new(
            "width_bucket",
            &[Float, Float, Float, Int],
            0,
            Int,
            width_bucket,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_inputs_are_errors() {
        assert_eq!(sqrt(&[Val::Float(9.0)]).unwrap(), Out::Float(3.0));
        assert!(sqrt(&[Val::Float(-1.0)]).is_err());
        assert!(ln(&[Val::Float(0.0)]).is_err());
        assert!(power(&[Val::Float(-8.0), Val::Float(0.5)]).is_err());
        assert_eq!(
            power(&[Val::Float(2.0), Val::Float(10.0)]).unwrap(),
            Out::Float(1024.0)
        );
        assert_eq!(sign(&[Val::Float(-3.5)]).unwrap(), Out::Float(-1.0));
        assert!(asin(&[Val::Float(2.0)]).is_err());
        assert!(log(&[Val::Float(1.0), Val::Float(8.0)]).is_err());
    }

    #[test]
    fn logarithms_and_buckets() {
        let Out::Float(l) = log(&[Val::Float(2.0), Val::Float(8.0)]).unwrap() else {
            panic!("expected a double");
        };
        assert!((l - 3.0).abs() < 1e-12);
        assert_eq!(log(&[Val::Float(1000.0)]).unwrap(), Out::Float(3.0));
        let bucket = |x: f64| {
            width_bucket(&[
                Val::Float(x),
                Val::Float(0.0),
                Val::Float(10.0),
                Val::Int(5),
            ])
        };
        assert_eq!(bucket(5.35), Ok(Out::Int(3)));
        assert_eq!(bucket(-1.0), Ok(Out::Int(0)));
        assert_eq!(bucket(10.0), Ok(Out::Int(6)));
        assert!(width_bucket(&[
            Val::Float(1.0),
            Val::Float(1.0),
            Val::Float(1.0),
            Val::Int(5)
        ])
        .is_err());
    }
}
