//! suggestions
