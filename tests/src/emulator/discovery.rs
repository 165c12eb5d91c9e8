//! Legacy API discovery documents (being written).
