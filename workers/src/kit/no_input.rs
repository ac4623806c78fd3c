//! [`NoInput`]: the handler of a worker that consumes no topic (only its jobs run).

use std::future::Future;

use switchyard_topics::{CodecError, Consumable, Delivery, Handler, HandlerError};

/// Subscribes to nothing; a worker with this handler runs no consumer.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInput;

impl Consumable for NoInput {
    fn logical_topics() -> Vec<&'static str> {
        Vec::new()
    }

    fn decode(logical_topic: &str, _payload: &[u8]) -> Result<Self, CodecError> {
        Err(CodecError::UnknownTopic(logical_topic.to_owned()))
    }
}

impl Handler for NoInput {
    type Event = NoInput;

    fn handle(
        &self,
        _event: NoInput,
        _delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        std::future::ready(Ok(()))
    }
}
