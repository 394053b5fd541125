// Merges a rerun of some line ranges (KILN_MUTATE=...) into a group's full report, for the case
// where only tests were added since the full run (adding tests cannot revive a killed mutant):
// mutants are matched by file, mutator, replacement and the text of their line, and the rerun's
// status wins. A survivor of the full run that the rerun no longer has (its code was removed as
// dead) is dropped and listed. The rerun must cover every survivor's line. Prints the group's totals as the table in docs/testing.md gives them.
//   node scripts/mutation-merge.mjs reports/mutation/csv.json reports/mutation/csv-rerun.json [out.json]
import { readFileSync, writeFileSync } from 'node:fs';

const [fullPath, ...rest] = process.argv.slice(2);
const out = rest.length > 1 && rest.at(-1).endsWith('.out.json') ? rest.pop() : undefined;
const full = JSON.parse(readFileSync(fullPath, 'utf8'));
const key = (file, f, m) =>
  `${file}|${m.mutatorName}|${m.replacement}|${f.source.split('\n')[m.location.start.line - 1].trim()}|${m.location.start.column}`;
for (const rerunPath of rest) {
  const rerun = JSON.parse(readFileSync(rerunPath, 'utf8'));
  const fresh = new Map();
  for (const [file, f] of Object.entries(rerun.files))
    for (const m of f.mutants) fresh.set(key(file, f, m), m.status);
  for (const [file, f] of Object.entries(full.files)) {
    f.mutants = f.mutants.filter((m) => {
      const k = key(file, f, m);
      if (fresh.has(k)) m.status = fresh.get(k);
      else if (m.status === 'Survived' || m.status === 'NoCoverage') {
        console.log(`dropped (no longer in the code): ${k}`);
        return false;
      }
      return true;
    });
  }
}
const count = {};
for (const f of Object.values(full.files))
  for (const m of f.mutants) count[m.status] = (count[m.status] ?? 0) + 1;
const detected = (count.Killed ?? 0) + (count.Timeout ?? 0);
const valid = detected + (count.Survived ?? 0) + (count.NoCoverage ?? 0);
console.log(JSON.stringify({ ...count, score: Number(((100 * detected) / valid).toFixed(2)) }));
if (out) writeFileSync(out, JSON.stringify(full));
