#!/usr/bin/env node
/**
 * Summarise a Stryker JSON report (reports/mutation/<set>/mutation.json, written by `npm run mutate`): the score per
 * file and per folder, and every mutant that survived or had no test, with its line and replacement.
 *   node scripts/mutation-summary.mjs [reports/mutation/common-geometry] [--survivors]
 * Score = (killed + timed out) / (killed + timed out + survived + no coverage), as Stryker counts it.
 *
 * Where the set has a recheck.json (scripts/mutation-recheck.mjs: survivors planted by hand) written for the same
 * sources, a second score applies its verdicts: killed and timeout count as detected, syntax and error count in
 * neither column. Survivors that ran no test (`testsCompleted: 0`, stryker-js #6213) and were not rechecked are
 * counted and named: Stryker's verdict on them measured nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const showSurvivors = args.includes('--survivors');
const dirs = args.filter((a) => !a.startsWith('--'));
const sets = dirs.length ? dirs : readdirSync('reports/mutation').map((d) => path.join('reports/mutation', d));

// What a recheck verdict makes of a mutant, in Stryker's words ('other' counts in neither column).
const VERDICT = { killed: 'Killed', timeout: 'Timeout', survives: 'Survived', syntax: 'other', error: 'other' };

for (const set of sets) {
  const file = set.endsWith('.json') ? set : path.join(set, 'mutation.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const recheck = readRecheck(path.join(path.dirname(file), 'recheck.json'), report);
  const rows = [];
  const folders = new Map();
  const survivors = [];
  for (const [name, f] of Object.entries(report.files)) {
    const c = counts();
    for (const m of f.mutants) {
      if (m.status in c) c[m.status]++;
      else c.other++;
      const verdict = recheck?.get(m.id)?.verdict;
      const after = verdict ? VERDICT[verdict] : m.status;
      if (after in c) c[`re${after}`]++;
      else c.reOther++;
      const ranNoTest = m.status === 'Survived' && m.testsCompleted === 0 && !verdict;
      if (ranNoTest) c.noTestRun++;
      if (after === 'Survived' || after === 'NoCoverage') {
        const lines = f.source.split('\n');
        const l = m.location.start.line;
        const note = ranNoTest ? ' (ran no test)' : verdict ? ' (rechecked)' : '';
        survivors.push(`${name}:${l}:${m.location.start.column} ${after}${note} ${m.mutatorName}: ${lines[l - 1].trim().slice(0, 110)}  →  ${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}`);
      }
    }
    rows.push([name, c]);
    const folder = path.dirname(name);
    const acc = folders.get(folder) ?? counts();
    for (const k of Object.keys(c)) acc[k] += c[k];
    folders.set(folder, acc);
  }
  const score = (k, t, s, n) => {
    const valid = k + t + s + n;
    return valid ? ((100 * (k + t)) / valid).toFixed(2) : 'n/a';
  };
  const line = recheck
    ? (n, c) => `| ${n} | ${score(c.Killed, c.Timeout, c.Survived, c.NoCoverage)} | ${score(c.reKilled, c.reTimeout, c.reSurvived, c.reNoCoverage)} | ${c.reKilled} | ${c.reTimeout} | ${c.reSurvived} | ${c.reNoCoverage} | ${c.noTestRun} |`
    : (n, c) => `| ${n} | ${score(c.Killed, c.Timeout, c.Survived, c.NoCoverage)} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.noTestRun} |`;
  console.log(recheck
    ? `\n${file} (with ${recheck.size} verdicts of recheck.json)\n\n| file | Stryker % | rechecked % | killed | timeout | survived | no coverage | survived, no test run |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`
    : `\n${file}\n\n| file | score % | killed | timeout | survived | no coverage | survived, no test run |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const [n, c] of rows.sort((a, b) => a[0].localeCompare(b[0]))) console.log(line(n, c));
  for (const [n, c] of folders) console.log(line(`**${n}/**`, c));
  const all = counts();
  for (const [, c] of rows) for (const k of Object.keys(c)) all[k] += c[k];
  console.log(line('**all of the above**', all));
  if (all.other) console.log(`\n(${all.other} mutants neither killed nor survived: static mutants ignored (ignoreStatic), compile or runtime errors)`);
  if (all.noTestRun) {
    console.log(`\n${all.noTestRun} "survivors" ran no test (testsCompleted 0, stryker-js #6213): recheck them with node scripts/mutation-recheck.mjs ${path.dirname(file)}`);
  }
  if (showSurvivors) console.log(`\n${survivors.join('\n')}`);
}

function counts() {
  return { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0, reKilled: 0, reTimeout: 0, reSurvived: 0, reNoCoverage: 0, reOther: 0, noTestRun: 0 };
}

/** recheck.json's verdicts by mutant id, or null where there is none or it was written for other sources. */
function readRecheck(file, report) {
  if (!existsSync(file)) return null;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const sha = (t) => createHash('sha256').update(t).digest('hex');
  const same = Object.entries(report.files).every(([name, f]) => r.sources?.[name] === sha(f.source));
  if (!same) {
    console.log(`(${file} was written for other sources; ignored)`);
    return null;
  }
  return new Map(r.results.map((x) => [x.id, x]));
}
