//! Python's text formatting, where pstats output depends on it.

/// `"%8.3f" % x` (pstats' `f8`).
pub fn f8(x: f64) -> String {
    fixed(x, 3, 8)
}

/// Appends `"%8.3f" % x` to `out` (the report's hot path: four numbers a line).
///
/// Fast path: `x * 1000` rounded to an integer, used only when the product is far enough
/// from a rounding tie that its own rounding error (at most one part in 2^52) cannot
/// change the result; otherwise, and for huge or non-finite values, the exact general
/// formatter decides (it matches C's printf, ties to even).
pub fn push_f8(out: &mut String, x: f64) {
    use std::fmt::Write;
    let y = x.abs() * 1000.0;
    if y.is_nan() || y >= 4.0e15 {
        // Huge or not finite.
        if x.is_finite() {
            let _ = write!(out, "{x:8.3}");
        } else {
            out.push_str(&f8(x));
        }
        return;
    }
    // Below 4e15 the integer part is exact, and truncation is `floor` for y >= 0.
    let whole = y as u64;
    let frac = y - whole as f64;
    if (frac - 0.5).abs() <= y * 4.0e-16 + 1e-300 {
        let _ = write!(out, "{x:8.3}");
        return;
    }
    // Far from a tie (the margin above is at least 1.8 ulp of y), so rounding y + 0.5 by
    // truncation gives the same integer as rounding y half away from zero.
    let r = if frac > 0.5 { whole + 1 } else { whole };
    let (int, dec) = (r / 1000, (r % 1000) as usize);
    // Right to left in a small buffer: "-1234.567" at most 17 + 5 bytes.
    let mut buf = [b' '; 24];
    buf[21..24].copy_from_slice(&DEC3[dec * 3..dec * 3 + 3]);
    buf[20] = b'.';
    let mut at = 20 - write_digits(&mut buf[..20], int);
    // printf keeps the sign of negative values that round to zero ("-0.000").
    if x.is_sign_negative() {
        at -= 1;
        buf[at] = b'-';
    }
    push_ascii(out, &buf[at.min(buf.len() - 8)..]);
}

/// `"%*d" % (width, n)`-style right-aligned `n` (pstats' ncalls column), pushed to `out`.
pub fn push_int_right(out: &mut String, n: i64, width: usize) {
    let mut buf = [b' '; 24];
    let at = write_signed(&mut buf, n);
    push_padded(out, &buf[at..], width);
}

/// `"%d/%d" % (a, b)` right-aligned to `width` (pstats' `nc/cc` for recursive functions).
pub fn push_ratio_right(out: &mut String, a: i64, b: i64, width: usize) {
    let mut buf = [b' '; 48];
    let mut at = write_signed(&mut buf, b) - 1;
    buf[at] = b'/';
    at = write_signed(&mut buf[..at], a);
    push_padded(out, &buf[at..], width);
}

/// Writes `n` (sign included) at the end of `buf`, which must hold 21 bytes; returns
/// where it starts.
fn write_signed(buf: &mut [u8], n: i64) -> usize {
    let mut at = buf.len() - write_digits(buf, n.unsigned_abs());
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    at
}

/// Pushes ASCII `text` right-aligned to `width` with spaces.
fn push_padded(out: &mut String, text: &[u8], width: usize) {
    for _ in text.len()..width {
        out.push(' ');
    }
    push_ascii(out, text);
}

/// The decimal digits of 0..=999, three bytes each ("000", "001", ...): two table reads
/// replace the divisions a digit costs otherwise.
static DEC3: [u8; 3000] = {
    let mut t = [0u8; 3000];
    let mut i = 0;
    while i < 1000 {
        t[i * 3] = b'0' + (i / 100) as u8;
        t[i * 3 + 1] = b'0' + (i / 10 % 10) as u8;
        t[i * 3 + 2] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Writes `n`'s digits at the end of `buf` (which must hold 20 bytes); returns how many.
fn write_digits(buf: &mut [u8], mut n: u64) -> usize {
    let mut at = buf.len();
    while n >= 1000 {
        let d = (n % 1000) as usize;
        n /= 1000;
        at -= 3;
        buf[at..at + 3].copy_from_slice(&DEC3[d * 3..d * 3 + 3]);
    }
    let d = n as usize * 3;
    let skip = if n >= 100 {
        0
    } else if n >= 10 {
        1
    } else {
        2
    };
    let digits = &DEC3[d + skip..d + 3];
    at -= digits.len();
    buf[at..at + digits.len()].copy_from_slice(digits);
    buf.len() - at
}

/// Appends ASCII bytes to a `String` without re-validating them as UTF-8 (the formatters
/// above call this four times a report line; validation was a third of their cost).
fn push_ascii(out: &mut String, bytes: &[u8]) {
    debug_assert!(bytes.is_ascii(), "formatter wrote non-ASCII");
    // SAFETY: ASCII bytes are valid UTF-8 on their own, so the String stays valid.
    unsafe { out.as_mut_vec() }.extend_from_slice(bytes);
}

/// `"%{width}.{prec}f" % x`, including Python's `inf`/`nan` spelling.
pub fn fixed(x: f64, prec: usize, width: usize) -> String {
    if x.is_nan() {
        format!("{:>width$}", "nan")
    } else if x.is_infinite() {
        format!("{:>width$}", if x > 0.0 { "inf" } else { "-inf" })
    } else {
        format!("{x:>width$.prec$}")
    }
}

/// `repr(x)` for a float: shortest round-trip digits, scientific below 1e-4 and from 1e16.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let s = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{s}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

/// `repr(s)` for a str: single quotes unless the text has a single quote and no double one.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa1).contains(&(c as u32)) || c == '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python 2's `repr()` of a byte string: as [`str_repr`], with every byte outside printable
/// ASCII as `\xNN`.
pub fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(b.len() + 2);
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote as char);
    out
}

/// A UTC time split into (year, month 1-12, day, hour, minute, second, weekday 0=Mon).
pub fn utc_parts(secs: i64) -> (i64, i64, i64, i64, i64, i64, usize) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 3).rem_euclid(7) as usize;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, h, m, s, weekday)
}

/// `time.ctime(secs)` in UTC: `"Sat Nov 21 21:24:55 2026"` (day padded with a space).
pub fn ctime_utc(secs: i64) -> String {
    let (year, month, day, h, m, s, weekday) = utc_parts(secs);
    let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][weekday];
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!("{weekday} {month_name} {day:2} {h:02}:{m:02}:{s:02} {year}")
}

/// RFC 3339 in UTC with milliseconds: `2026-11-21T21:24:55.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = utc_parts(ms.div_euclid(1000));
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_python_repr() {
        let cases = [
            (0.1, "0.1"),
            (0.5, "0.5"),
            (1.0, "1.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (-0.25, "-0.25"),
            (0.0, "0.0"),
            (1e22, "1e+22"),
            (2.5e-7, "2.5e-07"),
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(x), want, "{x}");
        }
    }

    #[test]
    fn strings_as_python_repr() {
        assert_eq!(str_repr("foo"), "'foo'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(str_repr("x\\.y\n"), "'x\\\\.y\\n'");
        assert_eq!(str_repr("é"), "'é'");
        assert_eq!(bytes_repr("Ωx".as_bytes()), "'\\xce\\xa9x'");
    }

    #[test]
    fn ctime() {
        assert_eq!(ctime_utc(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ctime_utc(1_795_555_495), "Tue Nov 24 21:24:55 2026");
        assert_eq!(ctime_utc(951_782_400), "Tue Feb 29 00:00:00 2000");
        assert_eq!(rfc3339_ms(951_782_400_042), "2000-02-29T00:00:00.042Z");
    }

    #[test]
    fn fast_f8_matches_the_formatter() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases: Vec<f64> = vec![
            0.0, -0.0, 0.0005, 0.0625, 1.0625, -0.0004, 999.9995, 12345678.9, 1e14, 4.1e15, -2.5e-4,
        ];
        for _ in 0..200_000 {
            let bits = next();
            cases.push(f64::from_bits(bits));
            cases.push((bits % 10_000_000) as f64 / 1e6);
            cases.push((bits % 100_000) as f64 / 2048.0);
        }
        for x in cases {
            let mut fast = String::new();
            push_f8(&mut fast, x);
            assert_eq!(fast, f8(x), "{x:e}");
        }
    }

    #[test]
    fn counts_right_aligned_as_printf() {
        for n in [
            0i64,
            7,
            10,
            99,
            100,
            999,
            1000,
            123_456_789,
            -5,
            i64::MAX,
            i64::MIN,
        ] {
            let mut s = String::new();
            push_int_right(&mut s, n, 9);
            assert_eq!(s, format!("{n:>9}"));
            for m in [0i64, 3, 1000, -12, i64::MIN] {
                let mut s = String::new();
                push_ratio_right(&mut s, n, m, 9);
                assert_eq!(s, format!("{:>9}", format!("{n}/{m}")), "{n}/{m}");
            }
        }
    }

    #[test]
    fn fixed_width() {
        assert_eq!(f8(0.0625), "   0.062");
        assert_eq!(f8(1234.5), "1234.500");
        assert_eq!(f8(f64::NAN), "     nan");
        assert_eq!(f8(-0.0), "  -0.000");
    }
}
