// The op table (src/backend/op-table/) against what is derived from it: the committed C++
// headers must equal a fresh rendering (CI fails while they are stale), the entries must keep
// the invariants the op layer and the kernels rely on, and an addon built from another table
// must be refused.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { enumerator, renderOpFiles, staleOpFiles } from '../../scripts/gen-ops.js';
import { loadNative } from '../../src/backend/native/loader.js';
import { opTableMismatch } from '../../src/backend/native/ops.js';
import {
  ARG_REDUCE_OPS,
  BINARY,
  BINARY_OPS,
  REDUCE,
  REDUCE_OPS,
  UNARY,
  UNARY_OPS,
} from '../../src/backend/op-table/index.js';

const ROOT = resolve('.');

/** Identifiers in an expression other than those allowed (`Math.f` and `std::f` are allowed). */
function strayIdentifiers(expr: string, allowed: readonly string[]): string[] {
  const rest = expr.replace(/\bMath\.\w+/g, '').replace(/\bstd::\w+/g, '');
  return (rest.match(/[A-Za-z_$][\w$]*/g) ?? []).filter((id) => !allowed.includes(id));
}

describe('op table', () => {
  it('generated headers are up to date (run `npm run gen:ops` after editing the table)', () => {
    const stale = staleOpFiles(ROOT);
    assert.deepEqual(stale, [], `stale: ${stale.join(', ')}; run \`npm run gen:ops\``);
  });

  it('staleness is detected in a changed or missing header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-gen-ops-'));
    try {
      const files = [...renderOpFiles().keys()];
      for (const path of files) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        copyFileSync(join(ROOT, path), join(dir, path));
      }
      assert.deepEqual(staleOpFiles(dir), []);
      const edited = join(dir, files[0]!);
      writeFileSync(edited, readFileSync(edited, 'utf8').replace('kNeg = 0', 'kNeg = 1'));
      rmSync(join(dir, files[1]!));
      assert.deepEqual(staleOpFiles(dir), files);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names are unique camelCase identifiers, also as C++ enumerators', () => {
    const all = [...UNARY_OPS, ...BINARY_OPS, ...REDUCE_OPS, ...ARG_REDUCE_OPS];
    for (const name of all) assert.match(name, /^[a-z][A-Za-z0-9]*$/, name);
    assert.equal(new Set(all.map(enumerator)).size, all.length, 'duplicate op name');
    assert.equal(UNARY_OPS.length, 32);
    assert.equal(BINARY_OPS.length, 15);
  });

  it('predicates and comparisons give bool and record no gradient', () => {
    for (const e of UNARY) if (e.dtype === 'bool') assert.equal(e.grad, false, e.name);
    // Binary: bool output exactly when no gradient (the op layer skips the cast for those).
    for (const e of BINARY) assert.equal(e.dtype === 'bool', !e.grad, e.name);
    for (const e of BINARY) {
      if (e.dtype === 'bool') assert.equal(e.saves, 'none', e.name);
    }
  });

  it('formulas use only their operands and the helpers each backend provides', () => {
    const jsHelpers = ['erf', 'roundHalfEven'];
    const cppHelpers = ['js_pow', 'kNaN'];
    for (const e of UNARY) {
      assert.deepEqual(strayIdentifiers(e.js, ['x', 'p0', 'p1', ...jsHelpers]), [], e.name);
      assert.deepEqual(strayIdentifiers(e.cpp, ['x', 'p0', 'p1', ...cppHelpers]), [], e.name);
      // A syntax error would otherwise surface only when the js backend first compiles the loop.
      new Function('x', 'p0', 'p1', 'erf', 'roundHalfEven', `return ${e.js};`);
    }
    for (const e of BINARY) {
      for (const js of [e.js, 'jsInt' in e ? e.jsInt : 'a']) {
        assert.deepEqual(strayIdentifiers(js, ['a', 'b']), [], e.name);
        new Function('a', 'b', `return ${js};`);
      }
      assert.deepEqual(strayIdentifiers(e.cpp, ['a', 'b', ...cppHelpers]), [], e.name);
    }
    for (const e of REDUCE) {
      assert.deepEqual(strayIdentifiers(e.js, ['acc', 'v', 'if']), [], e.name);
      assert.deepEqual(strayIdentifiers(e.cpp, ['acc', 'v', 'if']), [], e.name);
      const fold = new Function('acc', 'v', `${e.js} return acc;`) as (
        a: number,
        v: number,
      ) => number;
      // The identity is neutral: folding a value into it gives that value.
      assert.equal(fold(e.identity, 2.5), 2.5, e.name);
    }
  });

  it('an addon built from another op table is refused', () => {
    const good = {
      unary: [...UNARY_OPS],
      binary: [...BINARY_OPS],
      reduce: [...REDUCE_OPS],
      argReduce: [...ARG_REDUCE_OPS],
    };
    assert.equal(opTableMismatch({ opTable: () => good }), null);
    const swapped = { ...good, unary: [...UNARY_OPS] };
    [swapped.unary[1], swapped.unary[2]] = [swapped.unary[2]!, swapped.unary[1]!];
    assert.match(opTableMismatch({ opTable: () => swapped }) ?? '', /unary op code 1 is 'exp'/);
    const shorter = { ...good, binary: BINARY_OPS.slice(0, -1) };
    assert.match(opTableMismatch({ opTable: () => shorter }) ?? '', /'missing' in the build/);
    assert.match(opTableMismatch({}) ?? '', /no opTable export/);
  });

  it('the built addon, when present, agrees with the table', (t) => {
    const { binding, error } = loadNative();
    // CI requires the addon: a refused build must fail there, not skip every native test.
    if (!binding && process.env.KILN_REQUIRE_NATIVE === '1')
      assert.fail(`KILN_REQUIRE_NATIVE=1 but the native backend did not load: ${error}`);
    if (!binding) return t.skip(`native addon unavailable (${error})`);
    const path = join(ROOT, 'build', 'Release', 'kiln_native.node');
    const raw = createRequire(import.meta.url)(process.env.KILN_NATIVE_PATH || path);
    assert.equal(opTableMismatch(raw), null);
  });
});
