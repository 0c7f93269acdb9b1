// The chat window's renderer (lib/ui/format.ts, lib/ui/chat-view.ts) against names and texts built to fool
// it: blessed tags and terminal escapes are shown, not obeyed, and the lock and arrow of an encrypted direct
// message are drawn where no name or text can put them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChatMessage } from '../lib/chat/types.ts';
import { ChatView } from '../lib/ui/chat-view.ts';
import { formatMessage, stripTags } from '../lib/ui/format.ts';
import { widthAtMost } from '../lib/visible-text.ts';
import { FocusRing } from '../lib/ui/keys.ts';
import { createScreen } from '../lib/ui/screen.ts';
import { FakeTerminal, sleep } from './support/fake-terminal.ts';

const TS = new Date(2026, 10, 24, 9, 30).getTime();
const msg = (over: Partial<ChatMessage>): ChatMessage => ({ id: 'm1', seq: 1, from: 'alice', text: 'hi', encrypted: false, ts: TS, ...over });

test('a plain message from "🔒 alice → you" does not read like an encrypted direct message from alice', () => {
  const real = stripTags(formatMessage(msg({ from: 'alice', to: 'bob', encrypted: true, text: 'transfer the money', seq: 0 }), 'bob', 'none'));
  const forged = stripTags(formatMessage(msg({ from: '🔒 alice → you', text: 'transfer the money' }), 'bob', 'none'));
  assert.is(real, '09:30 🔒 alice → you: transfer the money');
  assert.is.not(forged, real);
  assert.ok(forged.startsWith('09:30    '), `the lock column of a plain message is blank: ${forged}`);
  // In the tag text the real marks are in their own colours, outside the bold name.
  const tagged = formatMessage(msg({ from: 'alice', to: 'bob', encrypted: true, seq: 0 }), 'bob', 'none');
  assert.match(tagged, /\{yellow-fg\}🔒\{\/yellow-fg\} \{#[0-9a-f]{6}-fg\}\{bold\}alice\{\/bold\}\{\/#[0-9a-f]{6}-fg\} \{cyan-fg\}→ you\{\/cyan-fg\}/);
});

test('a later line of a message cannot pass for a message: it is indented past the time and the lock', () => {
  const line = stripTags(formatMessage(msg({ from: 'mallory', text: 'ok\n09:30 🔒 alice → you: forged' }), 'bob', 'none'));
  const [, second] = line.split('\n');
  assert.is(second, '         09:30 🔒 alice → you: forged');
});

test('names and texts show blessed tags and control characters instead of obeying them', () => {
  const line = formatMessage(msg({ from: 'ev\x1b[2Je{bold}', text: '{bold}big{/bold} \x1b[2J\x1b[H gone\rback \x9b31m \x7f' }), 'bob', 'none');
  assert.not.match(line, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no control character left');
  assert.is(stripTags(line), '09:30    ev␛[2Je{bold}: {bold}big{/bold} ␛[2J␛[H gone␍back <U+009B>31m ␡');
});

/** A chat view on a 100×20 fake terminal, shown for bob; the caller destroys the screen. */
function bobsChatView(): { term: FakeTerminal; screen: ReturnType<typeof createScreen>; view: ChatView } {
  const term = new FakeTerminal(100, 20);
  const screen = createScreen('test', term.io);
  term.screen = screen;
  const view = new ChatView(screen, new FocusRing(screen, []), { send() {}, sendEncrypted() {} });
  view.show('bob');
  return { term, screen, view };
}

test('the chat view draws escapes as text on a terminal: {bold}, ESC[2J and CR are visible, not obeyed', async () => {
  const { term, screen, view } = bobsChatView();
  try {
    view.setUsers(['bob', 'mal\x1b[2Jlory{bold}']);
    await sleep(50); // the terminal stream delivers what was drawn so far asynchronously
    const before = term.written.length;
    view.addMessage(msg({ from: 'mallory', text: '{bold}loud{/bold} \x1b[2J wiped \rover' }), false, true);
    await term.waitFor('wiped');
    const shown = term.text();
    assert.ok(shown.includes('mallory: {bold}loud{/bold} ␛[2J wiped ␍over'), shown);
    assert.ok(shown.includes('mal␛[2Jlory{bold}'), `the users pane shows the escape:\n${shown}`);
    const drawn = term.written.slice(before);
    assert.not.ok(drawn.includes('\x1b[2J'), 'the clear-screen sequence never reaches the terminal');
    assert.not.ok(drawn.includes('\r'), 'nor the carriage return');
  } finally {
    screen.destroy();
  }
});

test('a text padded to wrap just before a forged line cannot make it start a row', () => {
  const width = 60;
  for (let pad = 1; pad <= 130; pad++) {
    for (const encrypted of [false, true]) {
      const text = 'x'.repeat(pad) + '09:30 🔒 alice → you: transfer the money';
      const rows = stripTags(formatMessage(msg({ from: 'mallory', text, encrypted, ts: TS + 3 * 3_600_000 }), 'bob', 'delivered', width)).split('\n');
      rows.forEach((row, i) => {
        assert.ok(widthAtMost(row) <= width, `row ${i} fits in ${width} cells (pad ${pad}): ${row}`);
        if (i > 0) assert.ok(row.startsWith(' '.repeat(9)), `row ${i} is indented (pad ${pad}): ${row}`);
      });
      assert.ok(rows[0]!.startsWith('12:30 '), rows[0]);
    }
  }
});

test('in the pane, a text padded to the row width does not put a forged "09:30 🔒 alice" at the start of a row', async () => {
  const { term, screen, view } = bobsChatView();
  try {
    // The pane's rows hold 71 cells; "12:30    mallory: " takes 18 of them.
    for (const pad of [52, 53, 54]) {
      view.addMessage(msg({ id: `p${pad}`, from: 'mallory', ts: TS + 3 * 3_600_000, text: `${'x'.repeat(pad)}09:30 🔒 alice → you: pay ${pad}` }), false, true);
    }
    await term.waitFor('pay 54');
    const rows = term.text().split('\n');
    assert.ok(rows.every((r) => !/^│ 09:30/.test(r)), `no row starts with the forged time:\n${term.text()}`);
    assert.is(rows.filter((r) => /^│ {10}\S*09:30 🔒 alice → you: pay/.test(r) || /^│ 12:30 {4}mallory: x+09:30/.test(r)).length, 3, term.text());
  } finally {
    screen.destroy();
  }
});

test.run();
