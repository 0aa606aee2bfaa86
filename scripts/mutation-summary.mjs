#!/usr/bin/env node
/**
 * Summarise a Stryker JSON report (reports/mutation/<set>/mutation.json, written by `npm run mutate`): the score per
 * file and per folder, and every mutant that survived or had no test, with its line and replacement.
 *   node scripts/mutation-summary.mjs [reports/mutation/common-geometry] [--survivors]
 * Score = (killed + timed out) / (killed + timed out + survived + no coverage), as Stryker counts it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const showSurvivors = args.includes('--survivors');
const dirs = args.filter((a) => !a.startsWith('--'));
const sets = dirs.length ? dirs : readdirSync('reports/mutation').map((d) => path.join('reports/mutation', d));

for (const set of sets) {
  const file = set.endsWith('.json') ? set : path.join(set, 'mutation.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const rows = [];
  const folders = new Map();
  const survivors = [];
  for (const [name, f] of Object.entries(report.files)) {
    const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
    for (const m of f.mutants) {
      if (m.status in c) c[m.status]++;
      else c.other++;
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        const lines = f.source.split('\n');
        const l = m.location.start.line;
        survivors.push(`${name}:${l}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${lines[l - 1].trim().slice(0, 110)}  →  ${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}`);
      }
    }
    rows.push([name, c]);
    const folder = path.dirname(name);
    const acc = folders.get(folder) ?? { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
    for (const k of Object.keys(c)) acc[k] += c[k];
    folders.set(folder, acc);
  }
  const score = (c) => {
    const detected = c.Killed + c.Timeout;
    const valid = detected + c.Survived + c.NoCoverage;
    return valid ? ((100 * detected) / valid).toFixed(2) : 'n/a';
  };
  const line = (n, c) => `| ${n} | ${score(c)} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} |`;
  console.log(`\n${file}\n\n| file | score % | killed | timeout | survived | no coverage |\n| --- | ---: | ---: | ---: | ---: | ---: |`);
  for (const [n, c] of rows.sort((a, b) => a[0].localeCompare(b[0]))) console.log(line(n, c));
  for (const [n, c] of folders) console.log(line(`**${n}/**`, c));
  const all = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  for (const [, c] of rows) for (const k of Object.keys(c)) all[k] += c[k];
  console.log(line('**all of the above**', all));
  if (all.other) console.log(`\n(${all.other} mutants neither killed nor survived: static mutants ignored (ignoreStatic), compile or runtime errors)`);
  if (showSurvivors) console.log(`\n${survivors.join('\n')}`);
}
