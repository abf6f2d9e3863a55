//! Model files (safetensors, format multispike-v1).
