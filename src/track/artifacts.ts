import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, realpath, rename, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { tempSuffix } from '../io/atomic.js';
import { ValueError } from '../tensor/errors.js';
import type { ArtifactRecord } from './types.js';

/** SHA-256 of a file, streamed (checkpoints can be large). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/** `child` as a `/`-separated path inside `root`, or null when it is outside (or is `root`). */
export function insideFolder(root: string, child: string): string | null {
  const rel = relative(root, child);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return rel.split(sep).join('/');
}

/**
 * Records a file as an artifact of a run folder. A file inside the folder is recorded where it
 * is (its real path, symlinks resolved, must stay inside); a file elsewhere is copied into the
 * folder first (atomically), as MLflow's `log_artifact` copies into the artifact store.
 */
export async function recordArtifact(runDir: string, path: string): Promise<ArtifactRecord> {
  const source = resolve(path);
  const info = await stat(source).catch(() => null);
  if (!info?.isFile())
    throw new ValueError(`logArtifact: '${path}' is not a file (artifacts are files)`);
  await mkdir(runDir, { recursive: true });
  const root = await realpath(runDir);
  const real = await realpath(source);
  let rel = insideFolder(root, real);
  if (rel === null) {
    if (insideFolder(resolve(runDir), source) !== null)
      throw new ValueError(
        `logArtifact: '${path}' is a link to a file outside the run folder ${runDir}; artifacts must stay inside it`,
      );
    rel = basename(source);
    const target = join(root, rel);
    const tmp = `${target}${tempSuffix()}`;
    await copyFile(real, tmp);
    await rename(tmp, target);
  }
  const target = join(root, rel);
  const [size, sha256] = [(await lstat(target)).size, await sha256File(target)];
  return { path: rel, size, sha256, time: Date.now() };
}

/** The absolute path of an artifact, refusing any path that would leave the run folder. */
export async function artifactPath(runDir: string, rel: string): Promise<string> {
  const root = await realpath(runDir);
  const target = resolve(root, rel);
  if (insideFolder(root, target) === null)
    throw new ValueError(`artifact '${rel}' is outside the run folder ${runDir}`);
  const real = await realpath(target);
  if (insideFolder(root, real) === null)
    throw new ValueError(`artifact '${rel}' links outside the run folder ${runDir}`);
  return real;
}
