#!/usr/bin/env bash
# Builds the potaccel kernels for an AMD Xilinx Alveo card with Vitis (v++). Usage:
# build-xilinx.sh PLATFORM OUTPUT.xclbin. One v++ -c per kernel (OpenCL C sources are compiled
# kernel by kernel), then one link. The defines must equal the manifest's (PE_OUT, MAX_TERMS).
# Then: sha256sum OUTPUT.xclbin and record it as for build-intel.sh.
set -euo pipefail
platform=${1:?Vitis platform}; out=${2:?output .xclbin}
src=$(dirname "$0")/../src/main/resources/dev/potaccel/kernels/potaccel.cl
kernels="decode_weights_f decode_weights_i conv_f8 conv_f16 conv_i8 conv_i16 conv_grouped_f8 conv_grouped_i8 fc_f8 fc_f16 fc_i8 fc_i16 pool add quantize dequantize"
objs=()
for k in $kernels; do
  v++ -c -t hw --platform "$platform" -DPE_OUT=16 -DMAX_TERMS=3 -k "$k" -o "$k.xo" "$src"
  objs+=("$k.xo")
done
v++ -l -t hw --platform "$platform" -o "$out" "${objs[@]}"
sha256sum "$out"
