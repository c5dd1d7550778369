// Dump lists run by the addon (native/genl_dump.cc via src/kernel/genl-dump.ts): the reply
// Buffer is split request by request and refuses to read past a malformed message; and on this
// host's kernel (no IPVS, but nlctrl lists its families to anyone) a real list of dumps returns
// every family, a refused request carries its errno while the others carry on.
import { describe, expect, it } from 'vitest';
import { AttrIndex, str } from '../../../src/kernel/attrs.js';
import { GenlDumpReplies, openGenlDumper } from '../../../src/kernel/genl-dump.js';
import { genlFrame } from '../../../src/kernel/genl.js';

const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_NAME = 2;

/** A data message as the kernel sends it: headers and attributes, padded to 4 bytes. */
function message(type: number, cmd: number, attrs: Buffer[]): Buffer {
  const m = genlFrame(type, 0x2, 7, 0, cmd, 1, attrs);
  return Buffer.concat([m, Buffer.alloc(((m.length + 3) & ~3) - m.length)]);
}

/** The family names of each message of request `i`. */
function names(replies: GenlDumpReplies, i: number): string[] {
  const index = new AttrIndex(CTRL_ATTR_FAMILY_NAME);
  const out: string[] = [];
  replies.forEach(i, (start, end) => out.push(index.index(replies.messages, start, end).str(CTRL_ATTR_FAMILY_NAME, 'CTRL_ATTR_FAMILY_NAME')));
  return out;
}

describe('GenlDumpReplies', () => {
  const a = message(GENL_ID_CTRL, 1, [str(CTRL_ATTR_FAMILY_NAME, 'alpha')]);
  const b = message(GENL_ID_CTRL, 1, [str(CTRL_ATTR_FAMILY_NAME, 'beta7')]);
  const c = message(GENL_ID_CTRL, 1, [str(CTRL_ATTR_FAMILY_NAME, 'c')]);

  it('gives each request its own messages, an empty request none, and each errno', () => {
    const messages = Buffer.concat([a, b, c]);
    const replies = new GenlDumpReplies({
      messages,
      ends: Uint32Array.from([a.length + b.length, a.length + b.length, messages.length]),
      errnos: Int32Array.from([0, 3, 0]),
    });
    expect(replies.length).toBe(3);
    expect([0, 1, 2].map((i) => names(replies, i))).toEqual([['alpha', 'beta7'], [], ['c']]);
    expect([0, 1, 2].map((i) => replies.errno(i))).toEqual([0, 3, 0]);
  });

  it('throws on a message longer than its request, or a range past the buffer, instead of reading past it', () => {
    const long = Buffer.from(a);
    long.writeUInt32LE(a.length + 8, 0);
    const replies = new GenlDumpReplies({ messages: Buffer.concat([long, b]), ends: Uint32Array.from([a.length, a.length + b.length]), errnos: Int32Array.from([0, 0]) });
    expect(() => names(replies, 0)).toThrow(/malformed message at offset 0: length \d+, \d+ bytes left/);
    expect(names(replies, 1)).toEqual(['beta7']);
    const short = new GenlDumpReplies({ messages: a, ends: Uint32Array.from([a.length + 4]), errnos: Int32Array.from([0]) });
    expect(() => names(short, 0)).toThrow(/spans 0\.\.\d+ of \d+ bytes/);
  });
});

describe('openGenlDumper on the host kernel', () => {
  it('runs a list of dumps in order, each with all its parts; a refused request has its errno', async () => {
    const dumper = openGenlDumper({ timeoutMs: 5000 });
    try {
      const listAll = Buffer.alloc(0);
      const replies = await dumper.dump(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, [listAll, listAll]);
      expect(replies.length).toBe(2);
      const first = names(replies, 0);
      expect(first).toContain('nlctrl');
      expect(names(replies, 1)).toEqual(first);
      // No such family id: genetlink answers ENOENT.
      const refused = await dumper.dump(0xfff0, 1, 1, [listAll]);
      expect(refused.errno(0)).toBe(2);
      expect(names(refused, 0)).toEqual([]);
    } finally {
      dumper.close();
    }
  });

  it('refuses a second list while one runs, and any list once closed', async () => {
    const dumper = openGenlDumper({ timeoutMs: 5000 });
    const running = dumper.dump(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, [Buffer.alloc(0)]);
    await expect(dumper.dump(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, [Buffer.alloc(0)])).rejects.toThrow(/busy/);
    dumper.close();
    expect(names(await running, 0)).toContain('nlctrl');
    await expect(dumper.dump(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, [Buffer.alloc(0)])).rejects.toThrow(/closed/);
  });
});
