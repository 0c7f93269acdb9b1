// The layer rules of ../shared/ARCHITECTURE.md, read from the source: imports go down, never up; only
// lib/ui imports neo-blessed, only lib/history imports NeDB; files stay near 300 lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const LIB = join(ROOT, 'lib');
/** Each layer's height: a file may import its own folder or a lower height, never the same height elsewhere or higher. */
const HEIGHT: Record<string, number> = { '': 0, session: 1, channel: 1, net: 2, history: 3, e2e: 3, chat: 4, app: 5, ui: 5 };
/** Files a little past the ~300-line guideline are tolerated; past this, split. */
const MAX_LINES = 320;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(LIB, file).split('/');
  return rel.length === 1 ? '' : rel[0]!;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
}

const files = tsFiles(LIB);

test('every folder under lib/ is a known layer', () => {
  for (const f of files) assert.ok(layerOf(f) in HEIGHT, `${relative(ROOT, f)} is in no known layer`);
});

test('imports go down, never up or sideways', () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = layerOf(f);
    for (const spec of imports(f).filter((s) => s.startsWith('.'))) {
      const to = layerOf(resolve(dirname(f), spec));
      if (to !== from && HEIGHT[to]! >= HEIGHT[from]!) bad.push(`${relative(ROOT, f)} imports ${spec} (${from || 'base'} -> ${to || 'base'})`);
    }
  }
  assert.equal(bad, []);
});

test('only lib/ui imports neo-blessed and only lib/history imports NeDB', () => {
  for (const f of files) {
    const specs = imports(f);
    if (specs.includes('neo-blessed')) assert.is(layerOf(f), 'ui', `${relative(ROOT, f)} imports neo-blessed`);
    if (specs.some((s) => s.startsWith('nedb') || s.startsWith('@seald-io/nedb'))) assert.is(layerOf(f), 'history', `${relative(ROOT, f)} imports NeDB`);
  }
  assert.ok(files.some((f) => imports(f).includes('neo-blessed')), 'some ui file imports neo-blessed (the scan works)');
  assert.ok(files.some((f) => imports(f).includes('nedb-promises')), 'some history file imports nedb-promises (the scan works)');
});

test('no file in lib/ is far past 300 lines', () => {
  const long = files.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > MAX_LINES);
  assert.equal(long, []);
});

test.run();
