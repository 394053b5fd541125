import { execFile } from 'node:child_process';

/**
 * The commit checked out in `cwd` (`git rev-parse HEAD`), or null when it is not a git checkout
 * or git is not installed. Never throws: a run is recorded either way.
 */
export function gitCommit(cwd = process.cwd()): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 3000 }, (err, stdout) => {
      const sha = String(stdout).trim();
      resolve(!err && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null);
    });
  });
}
