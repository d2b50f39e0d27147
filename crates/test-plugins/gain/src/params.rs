//! The gain plugin's parameter math: display strings, text parsing and the channel
//! coefficients shared by the f32 and f64 paths.

/// Parameter 0.
pub const GAIN: i32 = 0;
/// Parameter 1.
pub const PAN: i32 = 1;
/// The number of parameters.
pub const NUM_PARAMS: i32 = 2;

/// Parameter name ("Gain", "Pan").
pub fn name(index: i32) -> &'static str {
    match index {
        GAIN => "Gain",
        PAN => "Pan",
        _ => "",
    }
}

/// Parameter label ("dB", "%").
pub fn label(index: i32) -> &'static str {
    match index {
        GAIN => "dB",
        PAN => "%",
        _ => "",
    }
}

/// Gain display: `20·log10(2v)` with two decimals, `-inf` at 0.
pub fn gain_display(value: f32) -> String {
    if value <= 0.0 {
        return "-inf".to_owned();
    }
    format!("{:.2}", 20.0 * (2.0 * f64::from(value)).log10())
}

/// Pan display: integer percent, -100 (left) … 0 (v = 0.5) … 100 (right).
pub fn pan_display(value: f32) -> String {
    format!("{}", ((f64::from(value) - 0.5) * 200.0).round() as i32)
}

/// The display text of parameter `index` at `value`.
pub fn display(index: i32, value: f32) -> String {
    match index {
        GAIN => gain_display(value),
        PAN => pan_display(value),
        _ => String::new(),
    }
}

/// Parses `text` for parameter `index` into a normalized value: Gain takes dB (an optional
/// `dB` suffix, `-inf` for silence), Pan takes percent (-100..100, optional `%`). Results
/// are clamped to 0..=1; `None` when the text is not a number.
pub fn parse(index: i32, text: &str) -> Option<f32> {
    let text = text.trim();
    match index {
        GAIN => {
            let number = text
                .strip_suffix("dB")
                .or_else(|| text.strip_suffix("db"))
                .unwrap_or(text)
                .trim();
            if number.eq_ignore_ascii_case("-inf") {
                return Some(0.0);
            }
            let db: f64 = number.parse().ok().filter(|v: &f64| !v.is_nan())?;
            Some((10f64.powf(db / 20.0) / 2.0).clamp(0.0, 1.0) as f32)
        }
        PAN => {
            let percent: f64 = text
                .strip_suffix('%')
                .unwrap_or(text)
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| !v.is_nan())?;
            Some((percent / 200.0 + 0.5).clamp(0.0, 1.0) as f32)
        }
        _ => None,
    }
}

/// A sample type the gain can process.
pub trait Sample:
    Copy + core::ops::Mul<Output = Self> + core::ops::Sub<Output = Self> + From<f32> + PartialOrd
{
}
impl Sample for f32 {}
impl Sample for f64 {}

/// The left and right coefficients: amplitude `2·gain`, times `min(1, 2·(1−pan))` on the left
/// and `min(1, 2·pan)` on the right, computed in `T`.
pub fn coefficients<T: Sample>(gain: f32, pan: f32) -> (T, T) {
    let (one, two) = (T::from(1.0), T::from(2.0));
    let min = |a: T, b: T| if a < b { a } else { b };
    let amplitude = two * T::from(gain);
    let pan = T::from(pan);
    let left = min(one, two * (one - pan));
    let right = min(one, two * pan);
    (amplitude * left, amplitude * right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_display_strings() {
        assert_eq!(gain_display(0.0), "-inf");
        assert_eq!(gain_display(0.5), "0.00");
        assert_eq!(gain_display(0.25), "-6.02");
        assert_eq!(gain_display(1.0), "6.02");
        assert!(gain_display(f32::MIN_POSITIVE).len() <= 7, "fits the 8-byte buffer");
    }

    #[test]
    fn pan_display_strings() {
        assert_eq!(pan_display(0.5), "0");
        assert_eq!(pan_display(0.0), "-100");
        assert_eq!(pan_display(1.0), "100");
        assert_eq!(pan_display(0.75), "50");
    }

    #[test]
    fn parsing() {
        assert_eq!(parse(GAIN, "0"), Some(0.5));
        assert_eq!(parse(GAIN, " -inf "), Some(0.0));
        assert_eq!(parse(GAIN, "100 dB"), Some(1.0));
        assert!((parse(GAIN, "-6.0206").unwrap() - 0.25).abs() < 1e-6);
        assert_eq!(parse(GAIN, "loud"), None);
        assert_eq!(parse(PAN, "-100%"), Some(0.0));
        assert_eq!(parse(PAN, "50"), Some(0.75));
        assert_eq!(parse(7, "1"), None);
    }

    #[test]
    fn coefficients_pan_and_precision() {
        assert_eq!(coefficients::<f32>(0.5, 0.5), (1.0, 1.0));
        assert_eq!(coefficients::<f64>(0.25, 0.5), (0.5, 0.5));
        assert_eq!(coefficients::<f32>(0.5, 0.0), (1.0, 0.0));
        assert_eq!(coefficients::<f32>(0.5, 1.0), (0.0, 1.0));
        assert_eq!(coefficients::<f64>(0.5, 0.75), (0.5, 1.0));
    }
}
