#!/usr/bin/env bash
# One GPU session for issue 20 (DiffSpectra), run by the device tool from the repository root:
#   1. resume generator v2 from its 7,000-step state (--state, a copy of the trainer's --state-dir file)
#      and stretch the cosine schedule to 10,500 steps; the export keeps the EMA only if validation improves;
#   2. the held-out ablation (300 queries, 64 samples) of whichever generator that leaves, most important
#      conditions first: guidance 2, guidance 1, guidance 3 and 4 proposed formulas, then the rest;
#   3. the DiffSpectra and Householder core tests on CUDA if time is left.
# Every stage is bounded so the whole script ends within BUDGET seconds; finished rows are kept. Then
#     python scripts/make_diffspectra_metrics.py --part assemble --inputs assets/diffspectra/ablation.csv OUT/*/*.csv
# The shipped table came from this script's first session plus two shorter reruns of its later stages
# (the first ran without the thread limit below and only finished the first row), and two rows run on the
# CPU here (guidance 3: with 8 formulas and no formula, 32 min; with the formula):
#     python scripts/make_diffspectra_metrics.py --part ablation --label final --device cpu --workers 1 \
#         --guidance 3 --top-formulas 8 --only "true/no formula" --out OUT/w3top8   (and --only "true/formula")
#     STATE=.train_state/generator2_state.pt BUDGET=540 bash scripts/gpu_diffspectra.sh
set -u
# One thread per verification worker: 15 workers x 16 OpenMP threads each made verifying one row 20x slower.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu_out}; BUDGET=${BUDGET:-540}; STATE=${STATE:-.train_state/generator2_state.pt}
START=$(date +%s); left() { echo $(( BUDGET - ($(date +%s) - START) )); }
mkdir -p "$OUT/S"; cp "$STATE" "$OUT/S/generator2_state.pt"
nvidia-smi -L; nproc
timeout 230 python scripts/train_diffspectra.py --part generator2 --steps 10500 --batch 512 --every 250 \
    --device cuda --state-dir "$OUT/S" --out "$OUT/S" 2>&1 | tail -20
W="$OUT/S/generator.pt"; [ -f "$W" ] || W=assets/diffspectra/generator.pt
echo "evaluating $W"
ablate() {  # out-dir, extra args...; skipped when fewer than 40 s are left
    local dir=$1; shift; local t; t=$(left)
    [ "$t" -lt 40 ] && { echo "skipped $dir ($t s left)"; return; }
    timeout "$t" python scripts/make_diffspectra_metrics.py --part ablation --weights "$W" --label final \
        --queries 300 --samples 64 --workers 15 --device cuda --out "$OUT/$dir" --deadline $((t - 35)) "$@"
}
ablate w2 --guidance 2 --only "true/formula,true/no formula,shuffled/formula,shuffled/no formula"
ablate w1 --only "true/formula,true/no formula,null/formula,null/no formula"
ablate w3 --guidance 3 --top-formulas 4 --only "true/formula,true/no formula"
ablate w2top4 --guidance 2 --top-formulas 4 --only "true/no formula"
ablate w1shuffled --only "shuffled/formula,shuffled/no formula"
t=$(left)
[ "$t" -gt 45 ] && EIGEN_ATLAS_DEVICE=cuda timeout $((t - 5)) python -m pytest -q -x -m "not slow and not browser" \
    tests/test_diffspectra.py tests/test_householder.py -p no:cacheprovider 2>&1 | tail -5
echo "total $(( $(date +%s) - START )) s"
