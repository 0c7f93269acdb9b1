// The screen: stray console output kept off it, emoji drawn as wide as terminals draw them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import blessed from 'neo-blessed';
import { captureConsole, createScreen, destroyScreen } from '../lib/ui/screen.ts';
import { FakeTerminal } from './support/fake-terminal.ts';

test('console output is routed to the sink and put back afterwards', () => {
  const lines: string[] = [];
  const originalLog = console.log;
  const restore = captureConsole((l) => lines.push(l));
  try {
    console.log('a %d', 1);
    console.warn('two\nlines');
    process.stderr.write('raw\n');
  } finally {
    restore();
  }
  assert.equal(lines, ['a 1', 'two', 'lines', 'raw']);
  assert.is(console.log, originalLog);
});

test('🔒 takes two cells like in the terminal, so text after it stays in place', () => {
  const term = new FakeTerminal(40, 5);
  const screen = createScreen('t', term.io);
  term.screen = screen;
  try {
    blessed.box({ parent: screen, top: 0, left: 0, width: 20, height: 1, content: 'a 🔒 b ✓' });
    screen.render();
    assert.is(term.text().split('\n')[0], 'a 🔒 b ✓');
    const row = (screen as unknown as { lines: Array<Array<[number, string]>> }).lines[0]!;
    assert.is(row[2]![1], '🔒');
    assert.is(row[5]![1], 'b', 'b sits in the fifth cell after a two-cell lock');
  } finally {
    destroyScreen(screen);
  }
});

test('after the window closes, a late render writes nothing to the terminal', () => {
  const term = new FakeTerminal(40, 5);
  const screen = createScreen('t', term.io);
  const box = blessed.box({ parent: screen, top: 0, left: 0, width: 20, height: 1, content: 'before' });
  screen.render();
  destroyScreen(screen);
  const written = term.written.length;
  box.setContent('after');
  screen.render();
  assert.is(term.written.length, written);
});

test.run();
