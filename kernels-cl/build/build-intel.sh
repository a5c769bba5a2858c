#!/usr/bin/env bash
# Builds the potaccel kernels for an Intel FPGA board with the Intel FPGA SDK for OpenCL / oneAPI
# FPGA OpenCL offline compiler (aoc). Usage: build-intel.sh BOARD OUTPUT.aocx
# The defines must equal the manifest's (bitstreams/.../intel-agilex-pac.json: PE_OUT, MAX_TERMS).
# Then: sha256sum OUTPUT.aocx, copy the .aocx and a copy of the manifest with binary.sha256 set to
# $POTACCEL_BITSTREAMS (default ~/.local/share/potaccel/bitstreams).
set -euo pipefail
board=${1:?board (aoc -list-boards)}; out=${2:?output .aocx}
src=$(dirname "$0")/../src/main/resources/dev/potaccel/kernels/potaccel.cl
aoc -board="$board" -DPE_OUT=16 -DMAX_TERMS=3 -report -o "$out" "$src"
sha256sum "$out"
