//! Whole-number request parameters with a range. A value outside the range is refused with a
//! message naming the range, not clamped: a client that asked for 1,000 rows learns it gets at
//! most 500 instead of silently getting fewer.
use serde::de::{Deserialize, Deserializer, Error};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InRange<const MIN: u64, const MAX: u64>(pub u64);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for InRange<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(deserializer)?;
        if (MIN..=MAX).contains(&value) {
            Ok(InRange(value))
        } else {
            Err(D::Error::custom(format!(
                "must be from {MIN} to {MAX}, not {value}"
            )))
        }
    }
}

impl<const MIN: u64, const MAX: u64> InRange<MIN, MAX> {
    pub fn get(self) -> u32 {
        u32::try_from(self.0).unwrap_or(u32::MAX)
    }
}

/// How many rows a list answers with: 1 to 500 (`herald_store::MAX_LIST_LIMIT`).
pub type Limit = InRange<1, { herald_store::MAX_LIST_LIMIT as u64 }>;
