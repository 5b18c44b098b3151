//! The random number generator behind the sample data, and NPI check digits.

/// A splitmix64 generator, so that a seed gives the same data on every
/// platform and build. `rand`'s `StdRng` documents no such guarantee across
/// `rand` releases.
#[derive(Debug)]
pub(crate) struct SampleRng(u64);

impl SampleRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a value in `low..=high`. The modulo bias is below 2^-40 for the
    /// small ranges used here.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1) as u64;
        low + (self.next_u64() % span) as i64
    }

    /// Returns true or false with equal probability.
    pub fn coin(&mut self) -> bool {
        self.next_u64() >> 63 == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }

    /// Returns a value in `low..=high` rounded to one decimal.
    pub fn decimal(&mut self, low: f64, high: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((low + unit * (high - low)) * 10.0).round() / 10.0
    }
}

/// Returns the NPI check digit for a 9-digit base: the Luhn check digit of
/// the base prefixed with 80840, as the NPI standard defines it.
pub(crate) fn npi_check_digit(base: u64) -> u64 {
    let digits = format!("80840{base:09}");
    let mut sum = 0;
    // The check digit will be appended, so the rightmost digit here is doubled.
    for (index, digit) in digits
        .bytes()
        .rev()
        .map(|b| u64::from(b - b'0'))
        .enumerate()
    {
        sum += if index % 2 == 0 {
            let doubled = digit * 2;
            doubled / 10 + doubled % 10
        } else {
            digit
        };
    }
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_check_digit_matches_known_npi() {
        // By hand: the doubled-Luhn digit sum of 80840123456789 is 67, so the
        // check digit is 3.
        assert_eq!(npi_check_digit(123_456_789), 3);
    }

    #[test]
    fn range_stays_in_bounds() {
        let mut rng = SampleRng::new(1);
        for _ in 0..1000 {
            let value = rng.range(-3, 3);
            assert!((-3..=3).contains(&value), "{value}");
            let decimal = rng.decimal(36.1, 38.9);
            assert!((36.1..=38.9).contains(&decimal), "{decimal}");
        }
    }
}
