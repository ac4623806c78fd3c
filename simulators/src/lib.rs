//! Partner simulators: real HTTP servers that play the other side of each protocol, with fault injection.
