// Rewrites docs/config.md from the config schema and option tables (npm run docs:config).
import { writeFileSync } from 'node:fs';
import '../src/nn/index.js';
import { configReference } from '../src/cli/config-reference.js';

writeFileSync('docs/config.md', configReference('examples'));
console.log('wrote docs/config.md');
