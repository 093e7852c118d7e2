//! Converting between domain values and column values.
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use herald_store::{Result, StoreError};

/// Instants are stored as microseconds since the Unix epoch, UTC.
pub fn ts(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_ts(micros: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(micros)
        .map_err(|e| StoreError::Internal(format!("stored time {micros} is out of range: {e}")))
}

pub fn from_opt_ts(micros: Option<i64>) -> Result<Option<Timestamp>> {
    micros.map(from_ts).transpose()
}

/// A unit enum by its serde name (`degraded_performance`), as it reads in the database.
pub fn name<T: Serialize>(value: &T) -> Result<String> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(StoreError::Internal(format!("{other} is not a name"))),
    }
}

/// A stored name read back as its type, without copying it: a fan-out reads three per
/// subscriber.
pub fn from_name<T: DeserializeOwned>(s: &str) -> Result<T> {
    use serde::de::{IntoDeserializer, value::Error};
    T::deserialize(IntoDeserializer::<Error>::into_deserializer(s))
        .map_err(|err| StoreError::Internal(format!("stored data could not be decoded: {err}")))
}

pub fn json<T: Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string(value)?)
}

pub fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    Ok(serde_json::from_str(s)?)
}
