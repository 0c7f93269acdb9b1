// The windows need a terminal: without one they say so and exit 2 instead of drawing into a pipe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { killAll, spawnScript } from './support/processes.ts';

test.after(killAll);

test('client.ts and server.ts without a terminal explain why and exit 2', async () => {
  for (const [file, hint] of [['client.ts', /--no-ui/], ['server.ts', /--headless/]] as const) {
    const child = spawnScript(file, ['--history-dir', '/nonexistent-obrolan-dir']);
    const exit = await child.waitExit(20_000);
    assert.is(exit.code, 2, `${file} exit code`);
    assert.match(child.stderr, /needs a terminal/);
    assert.match(child.stderr, hint);
  }
});

test.run();
