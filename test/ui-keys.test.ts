// The key table and Tab rings: keys that work while a field reads, Tab without typing a tab.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KEY, rig, sleep } from './support/fake-terminal.ts';

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

test.run();
