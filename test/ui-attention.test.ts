// Mentions, their highlight, and the terminal title.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { highlightMentions, mentions, titleSequence, windowTitle } from '../lib/ui/attention.ts';

test('a name is a mention as a whole word in any case, not inside another word', () => {
  assert.ok(mentions('budi: are you there', 'budi'));
  assert.ok(mentions('hi Budi!', 'budi'));
  assert.ok(mentions('ＢＵＤＩ look', 'budi'), 'full-width letters fold as in usernames');
  assert.not.ok(mentions('budiman is here', 'budi'));
  assert.not.ok(mentions('anything', ''));
});

test('the highlight wraps the name in the text and leaves tags and other words alone', () => {
  const line = '{gray-fg}12:00{/gray-fg} {#ff0000-fg}ani{/#ff0000-fg}: hey budi, budiman says hi';
  const out = highlightMentions(line, 'budi');
  assert.is(out, '{gray-fg}12:00{/gray-fg} {#ff0000-fg}ani{/#ff0000-fg}: hey {black-fg}{yellow-bg}budi{/yellow-bg}{/black-fg}, budiman says hi');
});

test('the title names the room and counts unread mentions; control characters never reach the terminal', () => {
  assert.is(windowTitle('10.0.0.5:7447', 0), 'Obrolan — 10.0.0.5:7447');
  assert.is(windowTitle('10.0.0.5:7447', 2), '(2) Obrolan — 10.0.0.5:7447');
  assert.is(titleSequence('a\x1b]0;evil\x07b'), '\x1b]2;a]0;evilb\x07');
});

test.run();
