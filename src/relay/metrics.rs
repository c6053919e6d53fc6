//! What `/metrics` shows of the relay.

use chrono::{DateTime, Utc};
use prometheus::core::Collector;
use prometheus::{Gauge, IntCounter, IntGauge};

#[derive(Clone)]
pub struct RelayMetrics {
    pub active: IntGauge,
    pub lag_seconds: Gauge,
    pub published: IntCounter,
    pub duplicates: IntCounter,
}

impl RelayMetrics {
    pub fn new() -> prometheus::Result<Self> {
        Ok(Self {
            active: IntGauge::new("change_relay_active", "1 while this instance's relay holds the lock and publishes")?,
            lag_seconds: Gauge::new(
                "change_relay_lag_seconds",
                "Age of the oldest change NATS JetStream has not acknowledged; 0 when it holds them all",
            )?,
            published: IntCounter::new("change_relay_published_total", "Changes JetStream stored")?,
            duplicates: IntCounter::new(
                "change_relay_duplicates_total",
                "Changes published again after a relay stopped mid-batch, dropped by JetStream as duplicates",
            )?,
        })
    }

    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.active.clone()),
            Box::new(self.lag_seconds.clone()),
            Box::new(self.published.clone()),
            Box::new(self.duplicates.clone()),
        ]
    }

    pub fn set_lag(&self, oldest_waiting: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        let lag = oldest_waiting.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0);
        self.lag_seconds.set(lag);
    }
}
