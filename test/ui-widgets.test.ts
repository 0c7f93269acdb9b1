// Text fields and buttons with the neo-blessed workarounds (stale key listeners, reading again).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KEY, rig, sleep } from './support/fake-terminal.ts';

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

test.run();
