//! Server-side apply: field sets, managedFields, conflicts (being written).
