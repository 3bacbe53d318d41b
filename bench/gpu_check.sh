#!/usr/bin/env bash
# The GPU measurements of issue 14, as run on a lent H200 (one call of the device tool):
# train_convex with its restricted solves on the GPU against Adam's lr grid on the GPU
# and on the CPU, then the library's FISTA at CIFAR-10 scale (float32, TF32, float64).
# Usage: OUT=results_dir bash bench/gpu_check.sh   (needs a CUDA torch, no CVXPY)
set -u
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 TQDM_DISABLE=1
nvidia-smi -L; python3 -c "import torch, numpy, scipy, sklearn; print('torch', torch.__version__, torch.cuda.get_device_name(0), 'numpy', numpy.__version__)"
nproc; uptime
# 80 s a set fit breast_cancer only on 2026-11-30 (digits, diabetes and the synthetic set
# ran out before writing their tables): give each set its Adam grids plus budget x grid
for set in breast digits diabetes synthetic; do
    timeout 80 python3 bench/beat_adam.py --device cuda --adam-device cuda,cpu --solver ipm \
        --budget 4 --only $set --json "$OUT/beat_adam_cuda_$set.json" 2>&1 | grep -v Warning
done
for mode in "--dtype float32" "--dtype float32 --tf32" "--dtype float64"; do
    tag=$(echo $mode | tr -d ' -')
    timeout 75 python3 bench/solvers.py --device cuda --scale 50000,3072,4096 $mode \
        --json "$OUT/timing_$tag.json" 2>&1 | tail -25
done
uptime
