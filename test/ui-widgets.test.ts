// The neo-blessed workarounds: guarded text fields, the focus ring, global keys, console capture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Widgets } from 'blessed';
import {
  bindKeys, button, captureConsole, createScreen, FocusRing, pushRing, tabBindings, textField,
} from '../lib/ui/widgets.ts';
import { FakeTerminal, KEY, sleep } from './support/fake-terminal.ts';

interface Rig { term: FakeTerminal; screen: Widgets.Screen; a: Widgets.TextboxElement; b: Widgets.TextboxElement; go: Widgets.ButtonElement; ring: FocusRing; quits: number[] }

function rig(): Rig {
  const term = new FakeTerminal(60, 10);
  const screen = createScreen('test', term.io);
  term.screen = screen;
  const ring = new FocusRing(screen, []);
  const focus = (el: Widgets.BlessedElement) => () => ring.focus(el);
  const a: Widgets.TextboxElement = textField({ parent: screen, top: 0, left: 0, width: 20, onClick: () => focus(a)() });
  const b: Widgets.TextboxElement = textField({ parent: screen, top: 2, left: 0, width: 20, onClick: () => focus(b)() });
  const go = button({ parent: screen, top: 4, left: 0, label: 'Go' });
  ring.setItems([a, b, go]);
  pushRing(screen, ring);
  const quits: number[] = [];
  bindKeys(screen, [...tabBindings(screen), { keys: ['C-c'], help: 'quit', global: true, run: () => quits.push(Date.now()) }]);
  screen.render();
  return { term, screen, a, b, go, ring, quits };
}

test('a focus change before the next tick does not make a field type every key twice', async () => {
  const r = rig();
  try {
    await sleep(30);
    // Focus, leave and come back within one tick: neo-blessed attaches a second key listener.
    r.ring.focus(r.a);
    r.ring.focus(r.b);
    r.ring.focus(r.a);
    await sleep(30);
    await r.term.type('hey');
    assert.is(r.a.getValue(), 'hey');
    // The stale listener must not crash ("this._done is not a function") when the field stops reading.
    await r.term.type(KEY.tab, KEY.tab, KEY.tab, KEY.tab, 'x');
    assert.is(r.a.getValue(), 'hey');
  } finally {
    r.screen.destroy();
  }
});

test('Tab and Shift-Tab move through the ring without typing a tab into the field', async () => {
  const r = rig();
  try {
    await sleep(30);
    r.ring.focus(r.a);
    await sleep(20); // a field takes keys from the next tick on
    await r.term.type('one', KEY.tab, 'two', KEY.tab);
    assert.is(r.a.getValue(), 'one');
    assert.is(r.b.getValue(), 'two');
    assert.is(r.screen.focused, r.go);
    await r.term.type(KEY.tab);
    assert.is(r.screen.focused, r.a, 'wraps around');
    await r.term.type(KEY.shiftTab);
    assert.is(r.screen.focused, r.go);
  } finally {
    r.screen.destroy();
  }
});

test('Ctrl-C reaches the quit binding while a field reads, exactly once', async () => {
  const r = rig();
  try {
    await sleep(30);
    r.ring.focus(r.a);
    await sleep(20);
    await r.term.type('abc', KEY.ctrlC);
    assert.is(r.quits.length, 1);
    assert.is(r.a.getValue(), 'abc');
  } finally {
    r.screen.destroy();
  }
});

test('a field that stopped reading after Enter reads again when focused by code', async () => {
  const r = rig();
  try {
    await sleep(30);
    r.ring.focus(r.a);
    let submitted = '';
    r.a.on('submit', (v: string) => (submitted = v));
    await sleep(20);
    await r.term.type('first', KEY.enter);
    assert.is(submitted, 'first');
    r.ring.focus(r.a);
    await sleep(20);
    await r.term.type('!');
    assert.is(r.a.getValue(), 'first!');
  } finally {
    r.screen.destroy();
  }
});

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

test.run();
