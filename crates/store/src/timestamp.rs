//! Timestamps are stored as integer Unix nanoseconds (UTC): portable across
//! backends, totally ordered in SQL and lossless for `OffsetDateTime`.

use crate::StoreError;
use time::OffsetDateTime;

pub(crate) fn to_nanos(t: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| StoreError::Invalid("timestamp is outside the storable range".to_string()))
}

pub(crate) fn from_nanos(nanos: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .map_err(|e| StoreError::corrupt("stored timestamp", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_nanosecond_precision() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(from_nanos(to_nanos(t).unwrap()).unwrap(), t);
    }

    #[test]
    fn rejects_dates_beyond_i64_nanoseconds() {
        let far = time::macros::datetime!(9999-01-01 0:00 UTC);
        assert!(matches!(to_nanos(far), Err(StoreError::Invalid(_))));
    }
}
