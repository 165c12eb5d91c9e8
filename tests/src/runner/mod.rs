//! Emulated nodes and kubelet (being written).
