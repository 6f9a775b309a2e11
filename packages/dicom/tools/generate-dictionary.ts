/**
 * Generates `src/generated/dictionary.ts` from dcmjs's data dictionary (PS3.6), so that no tag
 * number in this package is typed by hand. Run from the package folder:
 *   node --import tsx tools/generate-dictionary.ts
 * A test (`dictionary.test.ts`) fails when the generated file drifts from the installed dcmjs.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDictionary } from './render-dictionary';

const target = fileURLToPath(new URL('../src/generated/dictionary.ts', import.meta.url));
writeFileSync(target, await renderDictionary());
console.log(`wrote ${target}`);
