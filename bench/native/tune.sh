#!/bin/sh
# Builds the standalone GEMM tuning harness into /tmp/kiln_gemm_tune. Extra args become
# compiler flags, e.g. -DKILN_A512_S='8,2,384,320,960' to try another tile.
set -e
cd "$(dirname "$0")/../.."
S=native/src
O=/tmp/kiln_tune_obj; mkdir -p $O
CXX="${CXX:-g++} -std=gnu++17 -O3 $*"
$CXX -mavx512f -mfma -c $S/gemm_avx512.cc -o $O/a512.o
$CXX -mavx2 -mfma -c $S/gemm_avx2.cc -o $O/a2.o
$CXX -c $S/gemm_generic.cc -o $O/gen.o
$CXX -c $S/gemm.cc -o $O/gemm.o
$CXX -c $S/pool.cc -o $O/pool.o
$CXX bench/native/gemm_tune.cc $O/*.o -o /tmp/kiln_gemm_tune -pthread
