// --help fits an 80-column terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLIENT_HELP, SERVER_HELP } from '../lib/app/cli.ts';

test('every line of both --help texts is at most 80 characters', () => {
  for (const text of [SERVER_HELP, CLIENT_HELP]) {
    for (const line of text.split('\n')) assert.ok([...line].length <= 80, `${[...line].length}: ${line}`);
  }
});

test.run();
