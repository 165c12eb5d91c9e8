//! The Framefarm node-agent library: the parts of the agent that the binary and its tests share.

pub mod thumbnail;
