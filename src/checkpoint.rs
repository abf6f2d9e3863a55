//! Training checkpoints (atomic write-then-rename).
