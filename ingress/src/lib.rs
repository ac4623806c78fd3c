//! HTTP edge for every inbound partner call: verify, produce, acknowledge inside the deadline.
