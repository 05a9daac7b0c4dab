//! Human-readable serials: `HMZ-XXXX-XXXX-XXXX`, 60 random bits in Crockford
//! base32 (no I, L, O, U), so they cannot be guessed in sequence and survive
//! being read aloud or retyped.

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new random serial.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)?;
    Ok(format_bits(u64::from_le_bytes(bytes)))
}

fn format_bits(bits: u64) -> String {
    let mut out = String::from("HMZ");
    for group in 0..3 {
        out.push('-');
        for digit in 0..4 {
            let shift = 5 * (group * 4 + digit);
            let index = usize::try_from((bits >> shift) & 0x1f).unwrap_or(0);
            out.push(char::from(ALPHABET[index]));
        }
    }
    out
}

/// Reads a serial leniently: any case, spaces or missing dashes, digits
/// typed on a Persian or Arabic keyboard (۷ and ٧ for 7), and the letters
/// people confuse with digits (O for 0, I and L for 1). `None` when it
/// cannot be a serial.
pub fn normalize(input: &str) -> Option<String> {
    let cleaned: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(
            |c| match hamafza_kit::jalali::latin_digit(c).to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            },
        )
        .collect();
    let body = cleaned.strip_prefix("HMZ")?;
    if body.len() != 12 || !body.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!(
        "HMZ-{}-{}-{}",
        &body[0..4],
        &body[4..8],
        &body[8..12]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_well_formed_and_distinct() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 18);
        assert_eq!(normalize(&a), Some(a.clone()));
    }

    #[test]
    fn reading_is_lenient() {
        assert_eq!(
            normalize("hmz 0abc-defg-hjk1").as_deref(),
            Some("HMZ-0ABC-DEFG-HJK1")
        );
        assert_eq!(
            normalize("HMZ-OABC-DEFG-HJKL").as_deref(),
            Some("HMZ-0ABC-DEFG-HJK1")
        );
        assert_eq!(
            normalize("HMZ-۷K۳Q-۹XTD-M۲PA").as_deref(),
            Some("HMZ-7K3Q-9XTD-M2PA")
        );
        assert_eq!(
            normalize("hmz-٧k٣q-٩xtd-m٢pa").as_deref(),
            Some("HMZ-7K3Q-9XTD-M2PA")
        );
        assert_eq!(normalize("HMZ-0ABC-DEFG"), None);
        assert_eq!(normalize("XYZ-0ABC-DEFG-HJK1"), None);
        assert_eq!(normalize("HMZ-0ABC-DEFG-HJKU"), None);
    }
}
