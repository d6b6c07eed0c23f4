//! The [`Channel`] of replicas sharing a PostgreSQL store: `LISTEN` /
//! `NOTIFY` on the deployment's channel (`behavry_store::PgNotifyChannel`).

use super::{Channel, ChannelError, Subscription};
use behavry_store::{PgNotifyChannel, PgSubscription};

pub struct PgChannel(PgNotifyChannel);

impl PgChannel {
    /// Connect to the store's database (the same URL the store opened).
    pub async fn connect(url: &str) -> Result<PgChannel, behavry_store::StoreError> {
        Ok(PgChannel(PgNotifyChannel::connect(url).await?))
    }
}

#[async_trait::async_trait]
impl Channel for PgChannel {
    async fn publish(&self, payload: &str) -> Result<(), ChannelError> {
        self.0
            .publish(payload)
            .await
            .map_err(|e| ChannelError(e.to_string()))
    }

    async fn subscribe(&self) -> Result<Box<dyn Subscription>, ChannelError> {
        let sub = self
            .0
            .subscribe()
            .await
            .map_err(|e| ChannelError(e.to_string()))?;
        Ok(Box::new(PgSub(sub)))
    }
}

struct PgSub(PgSubscription);

#[async_trait::async_trait]
impl Subscription for PgSub {
    async fn next(&mut self) -> Result<String, ChannelError> {
        self.0.next().await.map_err(|e| ChannelError(e.to_string()))
    }
}
