//! Numbers for people: times with units (µs/ms/s), sizes, counts, percentages. Exact
//! values go in `title` attributes next to these.

/// Three significant digits of `v` (1 ≤ |v| < 1000 expected).
fn sig3(v: f64) -> String {
    let a = v.abs();
    if a >= 99.95 {
        format!("{v:.0}")
    } else if a >= 9.995 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `0`, `740 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`, `95.1 s`.
pub fn secs(s: f64) -> String {
    let a = s.abs();
    if s == 0.0 {
        "0".into()
    } else if !s.is_finite() {
        "—".into()
    } else if a < 1e-6 {
        format!("{} ns", sig3(s * 1e9))
    } else if a < 1e-3 {
        format!("{} µs", sig3(s * 1e6))
    } else if a < 1.0 {
        format!("{} ms", sig3(s * 1e3))
    } else {
        format!("{} s", sig3(s))
    }
}

/// Like [`secs`] with an explicit sign: `+1.20 ms`, `−350 µs`.
pub fn signed_secs(s: f64) -> String {
    if s > 0.0 {
        format!("+{}", secs(s))
    } else if s < 0.0 {
        format!("−{}", secs(-s))
    } else {
        "0".into()
    }
}

/// `+12.3%`, `−4.10%`, `—` when undefined.
pub fn pct(p: Option<f64>) -> String {
    match p {
        None => "—".into(),
        Some(p) if !p.is_finite() => "—".into(),
        Some(p) if p > 0.0 => format!("+{}%", sig3(p)),
        Some(p) if p < 0.0 => format!("−{}%", sig3(-p)),
        Some(_) => "0%".into(),
    }
}

/// Percentage points: `+4.2 pp`.
pub fn pp(p: f64) -> String {
    if p > 0.0 {
        format!("+{p:.1} pp")
    } else if p < 0.0 {
        format!("−{:.1} pp", -p)
    } else {
        "0 pp".into()
    }
}

/// `2.75×`, `—` when undefined.
pub fn ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() => format!("{r:.2}×"),
        _ => "—".into(),
    }
}

/// `1,568,659`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('−');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed count: `+10`, `−3`, `0`.
pub fn signed_count(n: Option<i64>) -> String {
    match n {
        None => "—".into(),
        Some(n) if n > 0 => format!("+{}", count(n)),
        Some(n) => count(n),
    }
}

/// `—` or a count.
pub fn opt_count(n: Option<i64>) -> String {
    n.map(count).unwrap_or_else(|| "—".into())
}

/// `512 B`, `34.5 KB`, `1.20 MB`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{} KB", sig3(n / 1024.0))
    } else {
        format!("{} MB", sig3(n / 1024.0 / 1024.0))
    }
}

/// Time left: `23 h 59 min`, `12 min`, `45 s`, `expired`.
pub fn time_left(ms: f64) -> String {
    if ms <= 0.0 {
        return "expired".into();
    }
    let s = (ms / 1000.0).round() as i64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// `2026-11-21 23:40 UTC` (the same on the server and in the browser).
pub fn when(ms: i64) -> String {
    let t = crate::engine::pyfmt::rfc3339_ms(ms);
    format!("{} {} UTC", &t[..10], &t[11..16])
}

/// pstats' `ncalls` column: `12` or, with recursion, `12/3` (total/primitive).
pub fn ncalls(nc: Option<i64>, cc: Option<i64>) -> String {
    match (nc, cc) {
        (Some(n), Some(c)) if n != c => format!("{n}/{c}"),
        (Some(n), _) => n.to_string(),
        (None, _) => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(secs(0.0), "0");
        assert_eq!(secs(0.0000123), "12.3 µs");
        assert_eq!(secs(0.00456), "4.56 ms");
        assert_eq!(secs(1.2345), "1.23 s");
        assert_eq!(secs(95.12), "95.1 s");
        assert_eq!(secs(4e-7), "400 ns");
        assert_eq!(signed_secs(-0.00035), "−350 µs");
        assert_eq!(signed_secs(0.0012), "+1.20 ms");
        assert_eq!(pct(Some(174.8)), "+175%");
        assert_eq!(pct(Some(-37.17)), "−37.2%");
        assert_eq!(pct(None), "—");
        assert_eq!(ratio(Some(2.75)), "2.75×");
        assert_eq!(count(1568659), "1,568,659");
        assert_eq!(count(-1234), "−1,234");
        assert_eq!(count(999), "999");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(35_328), "34.5 KB");
        assert_eq!(time_left(3_599_000.0 * 24.0), "23 h 59 min");
        assert_eq!(time_left(-1.0), "expired");
        assert_eq!(ncalls(Some(11), Some(1)), "11/1");
        assert_eq!(ncalls(Some(3), Some(3)), "3");
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
    }
}
