// Install hook: builds the native addon with node-gyp. Never fails the install: without a
// compiler (or with KILN_NO_NATIVE=1) kiln runs on its pure TypeScript backend instead.
// KILN_REQUIRE_NATIVE=1 (set by CI) turns a failed build into a failed install, so a broken
// addon cannot hide behind the js fallback.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const NOTICE = 'kiln: native backend not built; using the pure TypeScript backend';
const REQUIRED = process.env.KILN_REQUIRE_NATIVE === '1';

function notBuilt(why) {
  if (REQUIRED) {
    console.error(`kiln: native build failed and KILN_REQUIRE_NATIVE=1: ${why}`);
    process.exit(1);
  }
  console.log(`${NOTICE} (${why}).`);
}

function findNodeGyp() {
  // npm exports its bundled node-gyp to lifecycle scripts; outside npm, look for a local
  // install and then for the copy that ships inside npm next to this node binary.
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const prefix = dirname(dirname(process.execPath));
  candidates.push(
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

function main() {
  if (process.env.KILN_NO_NATIVE === '1') {
    notBuilt('KILN_NO_NATIVE=1');
    return;
  }
  const gyp = findNodeGyp();
  if (!gyp) {
    notBuilt('node-gyp not found');
    return;
  }
  const args = [gyp, 'rebuild', '--jobs=max'];
  // Headers that ship with this node (distro packages, official tarballs) let the build run
  // offline; node-gyp would otherwise try to download them.
  const prefix = dirname(dirname(process.execPath));
  const haveHeaders = existsSync(join(prefix, 'include', 'node', 'common.gypi'));
  if (!process.env.npm_config_nodedir && haveHeaders) args.push(`--nodedir=${prefix}`);
  let res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const gloo = spawnSync(process.execPath, ['scripts/find-gloo.mjs'], { encoding: 'utf8' });
  const withGloo = gloo.status === 0 && gloo.stdout.trim() !== '';
  if (res.status !== 0 && withGloo && !REQUIRED) {
    // The distributed addon is optional: a Gloo that does not build must not cost the kernels.
    console.log('kiln: the distributed addon (Gloo) failed to build; building without it.');
    const env = { ...process.env, KILN_NO_GLOO: '1' };
    res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, env });
  }
  if (res.status === 0) {
    // The addon is meant to build warning-free under -Wall -Wextra: show any warning, and in CI
    // (KILN_REQUIRE_NATIVE=1) treat one as a failed build so it cannot creep in unseen.
    const warnings = `${res.stdout ?? ''}${res.stderr ?? ''}`
      .split('\n')
      .filter((l) => /\bwarning:/.test(l));
    if (warnings.length) {
      console.log(`kiln: the native build printed ${warnings.length} compiler warning(s):`);
      for (const w of warnings.slice(0, 20)) console.log(`  ${w}`);
      if (REQUIRED) notBuilt(`${warnings.length} compiler warning(s) under -Wall -Wextra`);
    }
    console.log('kiln: native backend built (build/Release/kiln_native.node).');
    console.log(
      existsSync(join('build', 'Release', 'kiln_dist.node'))
        ? 'kiln: distributed training built (build/Release/kiln_dist.node, Gloo).'
        : 'kiln: distributed training not built (install libgloo-dev and run npm rebuild to enable it).',
    );
    return;
  }
  const log = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (process.env.KILN_NATIVE_VERBOSE === '1' || REQUIRED) console.log(log);
  // One line of the compiler's complaint is enough to tell a missing toolchain from a bug.
  const first = log.split('\n').find((l) => /error/i.test(l) && !/^gyp (ERR|info)/.test(l));
  const why = res.error ? res.error.message : (first ?? `node-gyp exited with ${res.status}`);
  notBuilt(`build failed: ${why.trim().slice(0, 200)}; KILN_NATIVE_VERBOSE=1 shows the full log`);
}

main();
