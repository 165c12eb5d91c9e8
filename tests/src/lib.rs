//! Test tooling for Framefarm, never a dependency of the product.
