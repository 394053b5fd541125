// Prints the install prefix of Gloo (the collective-communication library behind
// k.distributed) when its headers and library are found, else nothing. binding.gyp builds the
// optional kiln_dist addon only when this prints a prefix. GLOO_HOME points at a custom
// install; KILN_NO_GLOO=1 skips the distributed addon.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function findGloo() {
  if (process.env.KILN_NO_GLOO === '1') return '';
  const prefixes = [process.env.GLOO_HOME, '/usr', '/usr/local', '/opt/homebrew'];
  for (const prefix of prefixes) {
    if (!prefix) continue;
    const header = join(prefix, 'include', 'gloo', 'rendezvous', 'context.h');
    const libs = ['lib', 'lib64', 'lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu'];
    const hasLib = libs.some((l) =>
      ['libgloo.so', 'libgloo.a', 'libgloo.dylib'].some((f) => existsSync(join(prefix, l, f))),
    );
    if (existsSync(header) && hasLib) return prefix;
  }
  return '';
}

process.stdout.write(findGloo());
