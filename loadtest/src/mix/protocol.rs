//! The partner requests the harness can send, and where their events must end up.

use switchyard_topics::catalogue::names;

/// One kind of inbound partner request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// Dujiao-Next provider API: a downstream site places `POST /api/v1/upstream/orders`.
    DujiaoOrder,
    /// Dujiao-Next callback from an upstream site: `POST /api/v1/upstream/callback`.
    DujiaoCallback,
    /// Alipay+ D-Store `POST /v2/pos/createOrder` (RSA256).
    DstoreCreateOrder,
    /// 58 Daojia order push `POST /daojia/notify`.
    DaojiaPush,
    /// Vending dispense result `POST /vending/notify` (unsigned).
    VendingNotify,
}

impl Protocol {
    /// Every protocol, in report order.
    pub const ALL: [Protocol; 5] = [
        Self::DujiaoOrder,
        Self::DujiaoCallback,
        Self::DstoreCreateOrder,
        Self::DaojiaPush,
        Self::VendingNotify,
    ];

    /// Name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::DujiaoOrder => "dujiao-order",
            Self::DujiaoCallback => "dujiao-callback",
            Self::DstoreCreateOrder => "dstore-create-order",
            Self::DaojiaPush => "daojia-push",
            Self::VendingNotify => "vending-notify",
        }
    }

    /// Parses [`Protocol::name`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name.trim())
    }

    /// The ingress path it is sent to.
    pub fn path(self) -> &'static str {
        match self {
            Self::DujiaoOrder => "/api/v1/upstream/orders",
            Self::DujiaoCallback => "/api/v1/upstream/callback",
            Self::DstoreCreateOrder => switchyard_partners::dstore::wire::paths::CREATE_ORDER,
            Self::DaojiaPush => "/daojia/notify",
            Self::VendingNotify => "/vending/notify",
        }
    }

    /// The logical topic an acknowledged request's event lands on.
    pub fn topic(self) -> &'static str {
        match self {
            Self::DujiaoOrder | Self::DstoreCreateOrder | Self::DaojiaPush => {
                names::ORDERS_ACCEPTED
            }
            Self::DujiaoCallback => names::UPSTREAM_CALLBACKS,
            Self::VendingNotify => names::VENDING_DISPENSE_RESULTS,
        }
    }

    /// Whether the protocol is signed (so a bad-signature fault means something).
    pub fn is_signed(self) -> bool {
        !matches!(self, Self::VendingNotify)
    }
}

/// What a partner means by one request, before it is signed for the wire.
#[derive(Clone, PartialEq)]
pub struct LogicalRequest {
    /// Which protocol.
    pub protocol: Protocol,
    /// The partner's idempotency id (`downstream_order_no`, `requestOrderId`, `orderId`,
    /// `order_id`): a repeat must not make a second event, and the event's key carries it.
    pub idempotency_id: String,
    /// The JSON content (for 58, what goes into `daojiaJson`).
    pub content: serde_json::Value,
}

impl std::fmt::Debug for LogicalRequest {
    // Content holds (fake) personal data; idempotency ids are what a reader needs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogicalRequest")
            .field("protocol", &self.protocol)
            .field("idempotency_id", &self.idempotency_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for protocol in Protocol::ALL {
            assert_eq!(Protocol::parse(protocol.name()), Some(protocol));
        }
        assert_eq!(Protocol::parse("qimen"), None);
    }

    #[test]
    fn every_protocol_lands_on_a_catalogue_topic() {
        for protocol in Protocol::ALL {
            assert!(switchyard_topics::catalogue::ALL
                .iter()
                .any(|spec| spec.name == protocol.topic()));
        }
    }
}
