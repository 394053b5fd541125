{
  # One build runs on any x86-64: the AVX2 and AVX-512 kernels are separate static libraries
  # compiled with their own -m flags and chosen at run time; everything else is baseline.
  "variables": {
    # Gloo's install prefix, or '' to skip the optional distributed addon (scripts/find-gloo.mjs).
    "kiln_gloo%": "<!(node scripts/find-gloo.mjs)"
  },
  "target_defaults": {
    "cflags_cc": ["-O3", "-std=gnu++17", "-fPIC", "-ffp-contract=fast", "-fno-math-errno", "-Wall", "-Wextra"],
    "cflags_cc!": ["-O2", "-Os"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "xcode_settings": {
      "GCC_OPTIMIZATION_LEVEL": "3",
      "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    }
  },
  "targets": [
    {
      "target_name": "kiln_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/conv.cc",
        "native/src/conv_addon.cc",
        "native/src/conv_direct.cc",
        "native/src/conv_winograd.cc",
        "native/src/conv_direct_backward.cc",
        "native/src/conv_pool_addon.cc",
        "native/src/conv_pool_train.cc",
        "native/src/gemm.cc",
        "native/src/gemm_generic.cc",
        "native/src/linear_addon.cc",
        "native/src/ops_addon.cc",
        "native/src/pool.cc",
        "native/src/window_addon.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["kiln_ops"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["kiln_avx2", "kiln_avx512"] }]
      ]
    },
    {
      # Elementwise, reduction, optimizer and sliding-window kernels. They must round every
      # operation as the js backend does, so no fused multiply-adds here (the last flag wins
      # over the default).
      "target_name": "kiln_ops",
      "type": "static_library",
      "sources": [
        "native/src/ew_binary.cc",
        "native/src/ew_reduce.cc",
        "native/src/ew_unary.cc",
        "native/src/optim.cc",
        "native/src/window.cc",
        "native/src/window_pool.cc"
      ],
      "cflags_cc": ["-ffp-contract=off"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"] }
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "kiln_avx2",
          "type": "static_library",
          "sources": [
            "native/src/conv_direct_avx2.cc",
            "native/src/conv_winograd_avx2.cc",
            "native/src/conv_pool_avx2.cc",
            "native/src/gemm_avx2.cc"
          ],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] }
        },
        {
          "target_name": "kiln_avx512",
          "type": "static_library",
          "sources": ["native/src/gemm_avx512.cc"],
          "cflags_cc": ["-mavx512f", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mfma"] }
        }
      ]
    }],
    # k.distributed: the Gloo process group, a separate addon built only where Gloo is installed.
    ["kiln_gloo!=''", {
      "targets": [
        {
          "target_name": "kiln_dist",
          "sources": [
            "native/src/dist_addon.cc",
            "native/src/dist_group.cc",
            "native/src/dist_store.cc"
          ],
          "include_dirs": [
            "<!(node -p \"require('node-addon-api').include_dir\")",
            "<(kiln_gloo)/include"
          ],
          # Gloo reports failures as C++ exceptions; node-gyp turns them off by default.
          "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
          "cflags_cc": ["-fexceptions", "-frtti"],
          "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "GCC_ENABLE_CPP_RTTI": "YES" },
          "libraries": ["-L<(kiln_gloo)/lib", "-lgloo", "-Wl,-rpath,<(kiln_gloo)/lib"]
        }
      ]
    }]
  ]
}
