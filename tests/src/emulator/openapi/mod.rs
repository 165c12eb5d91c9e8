//! OpenAPI v3 documents (being written).
