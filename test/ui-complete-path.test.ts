// Tab completes the file path of "/send NAME PATH" and "/send PATH" (issue 19): the path after the name
// (blanks allowed), "~" looked up in the home folder, folders with a trailing "/" (the next Tab goes in);
// pure over a real temporary folder, then typed into the chat window on a fake terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCompletion, nextCompletion, startCompletion, type CompletionSource } from '../lib/ui/complete.ts';
import { listDir, pathChoices } from '../lib/ui/complete-path.ts';
import { ChatView } from '../lib/ui/chat-view.ts';
import { ClientWindow } from '../lib/ui/client-window.ts';
import { FocusRing } from '../lib/ui/keys.ts';
import { createScreen } from '../lib/ui/screen.ts';
import { FakeTerminal, KEY } from './support/fake-terminal.ts';

let dir = '';
const home = process.env.HOME;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'obrolan-complete-'));
  await mkdir(join(dir, 'reports'));
  await writeFile(join(dir, 'reports', 'q3 final.pdf'), 'x');
  await writeFile(join(dir, 'report.txt'), 'x');
  await writeFile(join(dir, '.hidden'), 'x');
  await symlink(join(dir, 'reports'), join(dir, 'linked'));
  await mkdir(join(dir, 'home', 'Documents'), { recursive: true });
  await writeFile(join(dir, 'home', 'Documents', 'cv.pdf'), 'x');
  process.env.HOME = join(dir, 'home'); // os.homedir() reads it
});
test.after(async () => {
  process.env.HOME = home;
  await rm(dir, { recursive: true, force: true });
});

const src = (): CompletionSource => ({ names: ['budi', 'Bunga', 'ani'], commands: ['/send', '/msg'], listDir });
const complete = (text: string) => {
  const c = startCompletion(text, text.length, src());
  return c ? applyCompletion(c).text : undefined;
};

test('the path after "/send NAME " completes; folders get "/", files nothing after; hidden entries only when asked', () => {
  const c = startCompletion(`/send budi ${dir}/rep`, `/send budi ${dir}/rep`.length, src())!;
  assert.equal(c.choices, [`${dir}/report.txt`, `${dir}/reports/`]);
  assert.is(applyCompletion(c).text, `/send budi ${dir}/report.txt`);
  assert.is(applyCompletion(nextCompletion(c)).text, `/send budi ${dir}/reports/`);
  // Blanks in a name, and a folder's entries.
  assert.is(complete(`/send budi ${dir}/reports/q`), `/send budi ${dir}/reports/q3 final.pdf`);
  assert.is(complete(`/send BUDI ${dir}/reports/q3 f`), `/send BUDI ${dir}/reports/q3 final.pdf`);
  assert.is(complete(`/send budi ${dir}/lin`), `/send budi ${dir}/linked/`, 'a link to a folder is a folder');
  assert.equal(pathChoices(`${dir}/`).filter((p) => p.includes('hidden')), []);
  assert.equal(pathChoices(`${dir}/.h`), [`${dir}/.hidden`]);
  assert.is(complete(`/send budi ${dir}/nothing-here`), undefined);
  // The text after the cursor stays.
  const text = `/send budi ${dir}/reports/q`;
  const mid = startCompletion(`${text} tail`, text.length, src())!;
  assert.is(applyCompletion(mid).text, `/send budi ${dir}/reports/q3 final.pdf tail`);
});

test('"~" is the home folder, kept as typed; "/send PATH" (no name) completes the path too', () => {
  assert.is(complete('/send budi ~'), '/send budi ~/');
  assert.is(complete('/send budi ~/Doc'), '/send budi ~/Documents/');
  assert.is(complete('/send budi ~/Documents/'), '/send budi ~/Documents/cv.pdf');
  assert.is(complete('/send ~/Doc'), '/send ~/Documents/');
  assert.is(complete(`/send ${dir}/reports/q3 f`), `/send ${dir}/reports/q3 final.pdf`, 'to everyone, blanks in the path');
  // The first word is still a name when one matches; a path when none does.
  assert.is(complete('/send bu'), '/send budi ');
  assert.equal(startCompletion('/send bu', 8, src())!.choices, ['budi', 'Bunga']);
  assert.is(complete('/send '), '/send ani ');
  process.chdir(dir);
  try {
    assert.is(complete('/send rep'), '/send report.txt');
    assert.is(complete('/send budi rep'), '/send budi report.txt');
  } finally {
    process.chdir(new URL('..', import.meta.url).pathname);
  }
  // Elsewhere nothing changes: names, commands.
  assert.is(complete('/ms'), '/msg ');
  assert.is(complete('hi bu'), 'hi budi ');
});

test('in the chat window: Tab completes the path of /send, and Tab after a folder goes into it', async () => {
  const term = new FakeTerminal(160, 20);
  const screen = createScreen('test', term.io);
  term.screen = screen;
  const view = new ChatView(screen, new FocusRing(screen, []), { send() {}, sendEncrypted() {} });
  view.show('bob');
  view.setUsers(['bob', 'budi']);
  try {
    await new Promise((r) => setTimeout(r, 50));
    await term.type(`/send budi ${dir}/reports`, KEY.tab);
    assert.is(view.input.getValue(), `/send budi ${dir}/reports/`);
    await term.type(KEY.tab);
    assert.is(view.input.getValue(), `/send budi ${dir}/reports/q3 final.pdf`);
  } finally {
    screen.destroy();
  }
});

test('in the window, Ctrl-T starts "/send " in an empty input and keeps a typed line', async () => {
  const term = new FakeTerminal(160, 20);
  const win = new ClientWindow({}, term.io);
  term.screen = (win as unknown as { screen: FakeTerminal['screen'] }).screen;
  win.showChat('bob');
  const input = (win as unknown as { chat: ChatView }).chat.input;
  try {
    await new Promise((r) => setTimeout(r, 50));
    await term.type(KEY.ctrlT);
    assert.is(input.getValue(), '/send ');
    await term.type(`${dir}/reports`, KEY.tab);
    assert.is(input.getValue(), `/send ${dir}/reports/`);
    input.setValue('half a message');
    await term.type(KEY.ctrlT);
    assert.is(input.getValue(), 'half a message', 'nothing typed is lost');
  } finally {
    win.destroy();
  }
});

test.run();
