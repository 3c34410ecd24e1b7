//! Math functions over DOUBLE: `sqrt`, `cbrt`, `ln`, `log10`, `log2`,
//! `exp`, `power`, `sign`, `pi`. Arguments of any numeric type are
//! converted to DOUBLE; undefined inputs (such as the square root of a
//! negative number) are errors, as in PostgreSQL.

use super::row_fn::{Kind, Out, RowFunction, Val};

use Kind::Float;

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

fn logarithm(x: f64, f: fn(f64) -> f64) -> Result<Out, String> {
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

/// The DOUBLE math functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("sqrt", &[Float], 0, Float, sqrt),
        RowFunction::new("cbrt", &[Float], 0, Float, cbrt),
        RowFunction::new("ln", &[Float], 0, Float, ln),
        RowFunction::new("log10", &[Float], 0, Float, log10),
        RowFunction::new("log2", &[Float], 0, Float, log2),
        RowFunction::new("exp", &[Float], 0, Float, exp),
        RowFunction::new("power", &[Float, Float], 0, Float, power),
        RowFunction::new("pow", &[Float, Float], 0, Float, power),
        RowFunction::new("sign", &[Float], 0, Float, sign),
        RowFunction::new("pi", &[], 0, Float, pi),
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
    }
}
