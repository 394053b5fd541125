#!/bin/sh
# Builds and runs bench/native/gemm_ab.cc: interleaved A/B timing of AVX2 (default) or AVX-512
# (AB_ISA=avx512) SGEMM variants.
# Usage: bench/native/gemm_ab.sh ROUNDS VARIANT...
# where each VARIANT is DIR[:FLAGS]: a directory holding gemm_avx2.cc / gemm_avx512.cc (and the
# gemm*.h/.inc it includes), compiled with extra FLAGS (e.g. "native/src:-DKILN_AVX2_S=6,2,256,256,960").
# `git:REF` as DIR takes native/src at that git ref. Env: AB_SIZES=1024,2048 (S for S^3, or
# MxNxK with an optional Bt suffix for B stored transposed), AB_2T=1 (column halves on two
# threads) or AB_2T=2 (row halves, the split kiln::gemm picks at 2048^3), AB_FIFO=1 (see gemm_ab.cc), AB_ISA=avx512 (time gemm_avx512.cc's kernels instead).
set -e
cd "$(dirname "$0")/../.."
rounds=$1; shift
O=$(mktemp -d /tmp/kiln_ab.XXXXXX)
CXX="${CXX:-g++} -std=gnu++17 -O3 -ffp-contract=fast -fno-math-errno -Wall -Wextra"
isa=avx2 mflags="-mavx2 -mfma"
if [ "${AB_ISA:-avx2}" = avx512 ]; then isa=avx512 mflags="-mavx512f -mfma"; fi
i=0
for spec in "$@"; do
  dir=${spec%%:*}; flags=
  case "$spec" in *:*) flags=${spec#*:} ;; esac
  case "$dir" in git) ref=${flags%%:*}; flags=; case "$spec" in git:*:*) flags=${spec#git:*:} ;; esac
    dir=$O/src$i; mkdir -p $dir; git archive "$ref" native/src | tar -x -C $dir --strip-components=2 ;; esac
  # shellcheck disable=SC2086
  $CXX $mflags -Dkiln=v$i $flags -c "$dir/gemm_$isa.cc" -o $O/v$i.o &
  i=$((i + 1))
done
wait
$CXX -DNVAR=$i -DAB_ISA_$isa -mavx2 -mfma bench/native/gemm_ab.cc $O/v*.o -o $O/ab -pthread
nice -n 5 $O/ab "$rounds" "$@"
rm -rf "$O"
