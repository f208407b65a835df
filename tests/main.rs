//! Integration tests of the `volley` package: one binary, a module per topic.

mod it;
