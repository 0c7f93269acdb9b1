// "Rooms on this LAN": the list the client window shows before the login form. It asks the LAN (a
// discovery query on every interface) when shown, on F5 or r, and every DISCOVERY_REFRESH_MS while shown.
// Enter on a room hands its address to the login form; "Other address…" opens the form as typed before.
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { DISCOVERY_EMPTY_AFTER_MS, DISCOVERY_REFRESH_MS } from '../constants.ts';
import { NO_ROOMS_ADVICE, roomTrust } from '../net/discovery.ts';
import type { FoundRoom, SearchOptions } from '../net/discovery-socket.ts';
import { escapeTags, stripControls } from './format.ts';
import { FocusRing, popRing, pushRing } from './keys.ts';
import { label } from './widgets.ts';

/** What the view needs: a search (searchRooms, or a fake), the pinned keys, and where a choice goes. */
export interface RoomsDeps {
  search: (o: SearchOptions) => Promise<FoundRoom[]>;
  pins: () => Array<{ server: string; fingerprint: string }>;
  onPick: (room: FoundRoom) => void;
  onOther: () => void;
  onQuit: () => void;
}

const OTHER = 'Other address…';
const HELP = '↑↓ choose · Enter join · F5/r refresh · o other address · q/Ctrl-C quit';

/** The rooms list; show() starts looking, a choice or hide() stops. */
export class RoomsView {
  private readonly box: Widgets.BoxElement;
  private readonly list: Widgets.ListElement;
  private readonly status: Widgets.TextElement;
  private readonly footer: Widgets.TextElement;
  private readonly ring: FocusRing;
  private rooms: FoundRoom[] = [];
  private timer: NodeJS.Timeout | undefined;
  private searching = false;
  private shown = false;

  constructor(private readonly screen: Widgets.Screen, private readonly deps: RoomsDeps) {
    const width = Math.min(96, Math.max(60, Number(screen.width) - 4));
    const height = Math.min(24, Math.max(16, Number(screen.height) - 2));
    this.box = blessed.box({
      parent: screen, top: 'center', left: 'center', width, height, tags: true, hidden: true,
      border: { type: 'line' }, label: ' Obrolan — rooms on this LAN ',
      style: { border: { fg: '#00afff' }, label: { fg: 'white', bold: true } },
    });
    this.list = blessed.list({
      parent: this.box, top: 1, left: 1, right: 1, height: 6, tags: true, keys: true, mouse: true,
      style: { selected: { bg: '#005f87', fg: 'white' }, item: { fg: 'white' } },
    });
    this.status = label({ parent: this.box, top: 8, left: 2, right: 2, height: height - 10, content: '' });
    // Over the window's own footer while the list is shown (same place and colours).
    this.footer = label({ parent: screen, bottom: 0, left: 0, width: '100%', content: ` ${HELP}`, hidden: true, style: { fg: 'black', bg: '#8a8a8a' } });
    this.ring = new FocusRing(screen, [this.list]);
    this.list.on('select', (_item: unknown, index: number) => this.choose(index));
    this.list.key(['f5', 'r'], () => void this.look());
    this.list.key(['o'], () => this.choose(this.rooms.length));
    this.list.key(['q'], () => this.deps.onQuit());
  }

  /** Shows the list over the window, takes the keys, and starts looking. */
  show(): void {
    this.shown = true;
    pushRing(this.screen, this.ring);
    this.box.show();
    this.box.setFront();
    this.footer.show();
    this.footer.setFront();
    this.draw();
    this.ring.focus(this.list);
    void this.look();
  }

  /** Hides the list and stops looking; the window's own keys and focus take over again. */
  hide(): void {
    this.shown = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    popRing(this.screen, this.ring);
    this.box.hide();
    this.footer.hide();
    this.screen.render();
  }

  /** One search (unless one runs): rooms appear as they answer; at the end the list is what answered. */
  private async look(): Promise<void> {
    if (!this.shown || this.searching) return;
    if (this.timer) clearTimeout(this.timer);
    this.searching = true;
    this.setStatus('{gray-fg}looking for rooms on this LAN…{/gray-fg}');
    const live = new Map(this.rooms.map((r) => [`${r.host}:${r.port}`, r]));
    let rooms: FoundRoom[] = [];
    try {
      rooms = await this.deps.search({ waitMs: DISCOVERY_EMPTY_AFTER_MS, onRoom: (r) => {
        live.set(`${r.host}:${r.port}`, r);
        if (this.shown) this.setRooms([...live.values()]);
      } });
    } catch (err) {
      if (this.shown) this.setStatus(`{red-fg}cannot look for rooms: ${escapeTags((err as Error).message)}{/red-fg}`);
    }
    this.searching = false;
    if (!this.shown) return;
    this.setRooms(rooms);
    const when = new Date().toTimeString().slice(0, 8);
    if (rooms.length) this.setStatus(`{gray-fg}${rooms.length} ${rooms.length === 1 ? 'room' : 'rooms'} answered · ${when}{/gray-fg}`);
    else this.setStatus(NO_ROOMS_ADVICE.map((l, i) => (i ? escapeTags(l) : `{yellow-fg}${escapeTags(l.replace(/^n/, 'N'))}{/yellow-fg}`)).join('\n'));
    this.timer = setTimeout(() => void this.look(), DISCOVERY_REFRESH_MS);
  }

  /** Replaces the rooms, keeping the selection on the same room (or on "Other address…"). */
  private setRooms(rooms: FoundRoom[]): void {
    const at = (this.list as unknown as { selected: number }).selected ?? 0;
    const chosen = this.rooms[at];
    this.rooms = [...rooms].sort((a, b) => a.name.localeCompare(b.name) || a.host.localeCompare(b.host) || a.port - b.port);
    const keep = chosen ? this.rooms.findIndex((r) => r.host === chosen.host && r.port === chosen.port) : -1;
    this.draw();
    this.list.select(keep >= 0 ? keep : at >= this.rooms.length ? this.rooms.length : Math.min(at, this.rooms.length));
    this.screen.render();
  }

  private draw(): void {
    const nameWidth = Math.min(24, Math.max(4, ...this.rooms.map((r) => r.name.length)));
    const rows = this.rooms.map((r) => {
      const name = stripControls(r.name).slice(0, nameWidth).padEnd(nameWidth);
      const addr = `${r.host}:${r.port}`.padEnd(21);
      const users = `${r.users} ${r.users === 1 ? 'member ' : 'members'}`.padStart(11);
      return ` ${escapeTags(name)}  ${addr} ${users}  ${this.mark(r)}`;
    });
    this.list.setItems([...rows, ` {gray-fg}${OTHER}{/gray-fg}`] as unknown as string[]);
  }

  /** Whether the client knows this room's key: trusted, new, changed, or pinned for somewhere else. */
  private mark(r: FoundRoom): string {
    const t = roomTrust(r, this.deps.pins(), this.rooms);
    if (t.trust === 'trusted') return '{green-fg}key trusted{/green-fg}';
    if (t.trust === 'changed') return '{red-fg}KEY CHANGED since you trusted it{/red-fg}';
    if (t.trust === 'elsewhere') return `{yellow-fg}same key as ${escapeTags(t.where ?? '')}: a copy or a fake?{/yellow-fg}`;
    return '{gray-fg}new: compare its key{/gray-fg}';
  }

  private choose(index: number): void {
    if (!this.shown) return;
    const room = this.rooms[index];
    this.hide();
    if (room) this.deps.onPick(room);
    else this.deps.onOther();
  }

  private setStatus(tagged: string): void {
    this.status.setContent(tagged);
    this.screen.render();
  }

  /** Stops looking for good (the window is closing). */
  destroy(): void {
    this.shown = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
