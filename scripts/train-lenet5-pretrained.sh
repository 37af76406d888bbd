#!/bin/sh
# Rebuilds the pre-trained LeNet-5 that ships in models/lenet5-mnist/: the default
# `convkit train` run (bundled MNIST digits, seed 1, stratified 80/10/10 split) on 2 threads.
# Kernels are deterministic for a given thread count, so this reproduces the shipped file.
set -e
cd "$(dirname "$0")/.."
npm run build --silent
out="${TMPDIR:-/tmp}/convkit-pretrained-$$"
node dist/cli/main.js train --threads 2 --out "$out"
mkdir -p models/lenet5-mnist
cp "$out/model.convkit" models/lenet5-mnist/model.convkit
cp "$out/history.json" models/lenet5-mnist/history.json
rm -rf "$out"
echo "wrote models/lenet5-mnist/model.convkit"
