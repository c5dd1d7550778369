// keepalived.conf's line language and value syntax, piece by piece (keepalived.conf(5)):
// quoting and escapes, comments, @id conditionals, $PARAMETERS, script command lines, braces
// on the next line, address ranges of virtual_server_group, glob braces.
import { describe, expect, it } from 'vitest';
import { Findings } from '../../../src/import/findings.js';
import { expandBraces } from '../../../src/import/files.js';
import { expandRange } from '../../../src/import/map-lvs.js';
import { parseStatements } from '../../../src/import/parser.js';
import { preprocess } from '../../../src/import/preprocess.js';
import type { SourceFiles } from '../../../src/import/types.js';
import { commandArgv, splitWords, stripComment } from '../../../src/import/words.js';

function lines(text: string, configId = 'lb1'): string[] {
  const files: SourceFiles = { read: (p) => (p === '/k.conf' ? text : undefined), glob: () => [] };
  return preprocess('/k.conf', files, { configId, display: (p) => p }, new Findings()).map((l) => l.map((t) => t.text).join('|'));
}

describe('keepalived words', () => {
  it('quotes keep whitespace and are removed; escapes work inside quotes', () => {
    expect(splitWords('abcd" efg h jkl "mnop').map((w) => w.text)).toEqual(['abcd efg h jkl mnop']);
    expect(splitWords('abcd "efg h jkl" mnop').map((w) => w.text)).toEqual(['abcd', 'efg h jkl', 'mnop']);
    expect(splitWords('"a\\tb\\x41\\101\\"c"').map((w) => w.text)).toEqual(['a\tbAA"c']);
  });

  it('braces outside quotes are words; inside quotes they are text', () => {
    expect(splitWords('unicast_peer {198.18.0.2}').map((w) => w.text)).toEqual(['unicast_peer', '{', '198.18.0.2', '}']);
    expect(splitWords('script "echo {x}"').map((w) => w.text)).toEqual(['script', 'echo {x}']);
  });

  it('comments start at # or ! outside quotes', () => {
    expect(stripComment('priority 100 # main ! node')).toBe('priority 100 ');
    expect(stripComment('script "/bin/echo #1" ! x')).toBe('script "/bin/echo #1" ');
  });

  it('script lines split on unquoted spaces, single quotes keep an argument whole', () => {
    expect(commandArgv(['"/usr/bin/check --name \'a b\' -v"'])).toEqual(['/usr/bin/check', '--name', 'a b', '-v']);
    expect(commandArgv(['/usr/bin/pidof'])).toEqual(['/usr/bin/pidof']);
  });
});

describe('keepalived line language', () => {
  it('@id lines are kept for the config id, @^id lines for every other', () => {
    const text = '@lb1 router_id one\n@lb2 router_id two\n@^lb1 peer a\n@^lb2 peer b';
    expect(lines(text, 'lb1')).toEqual(['router_id|one', 'peer|b']);
    expect(lines(text, 'lb2')).toEqual(['router_id|two', 'peer|a']);
  });

  it('$NAME before whitespace and ${NAME} anywhere, substituted at use time and recursively', () => {
    expect(lines('$BASE=198.18.${SUB}\n$SUB=0\n${BASE}.100/32\n$SUB=10\n${BASE}.100/32')).toEqual(['198.18.0.100/32', '198.18.10.100/32']);
    expect(lines('$P=150\npriority $P\nleft $UNDEFINED ${UNDEF}x')).toEqual(['priority|150', 'left|$UNDEFINED|${UNDEF}x']);
  });

  it('a parameter may hold a conditional; predefined ${_HASH} and ${_BANG} survive as text', () => {
    expect(lines('$IF_MAIN=@lb1\n$IF_MAIN priority 240', 'lb1')).toEqual(['priority|240']);
    expect(lines('$IF_MAIN=@lb1\n$IF_MAIN priority 240', 'lb2')).toEqual([]);
    expect(lines('script "x ${_HASH} ${_BANG}"')).toEqual(['script|x # !']);
  });

  it('multi-line parameters expand line by line, with definitions inside taking effect in order', () => {
    const text = '$RS= \\\nreal_server 198.18.1.${N} 80 { \\\n}\n$VS= \\\n$N=1 \\\n$RS \\\n$N=2 \\\n$RS\n$VS';
    expect(lines(text)).toEqual(['real_server|198.18.1.1|80|{', '}', 'real_server|198.18.1.2|80|{', '}']);
  });

  it('a block may open on the next line and several statements may share one', () => {
    const findings = new Findings();
    const files: SourceFiles = { read: () => 'track_interface\n{\n eth0 }\nunicast_peer { 198.18.0.2 } nopreempt', glob: () => [] };
    const tree = parseStatements(preprocess('/k.conf', files, { configId: 'x', display: (p) => p }, findings), findings);
    expect(tree.map((s) => [s.keyword.text, s.block?.map((b) => b.keyword.text)])).toEqual([
      ['track_interface', ['eth0']], ['unicast_peer', ['198.18.0.2']], ['nopreempt', undefined],
    ]);
    expect(findings.list).toEqual([]);
  });
});

describe('virtual_server_group ranges and include braces', () => {
  it('expands the range forms of keepalived.conf(5)', () => {
    expect(expandRange('198.18.200.1-3')).toEqual(['198.18.200.1', '198.18.200.2', '198.18.200.3']);
    expect(expandRange('198.18.200.254-198.18.201.1')).toEqual(['198.18.200.254', '198.18.200.255', '198.18.201.0', '198.18.201.1']);
    expect(expandRange('198.18.202.8/30')).toEqual(['198.18.202.8', '198.18.202.9', '198.18.202.10', '198.18.202.11']);
    expect(expandRange('2001:2::1-3')).toEqual(['2001:2::1', '2001:2::2', '2001:2::3']);
  });

  it('refuses ranges beyond 256 addresses, backwards ranges and junk', () => {
    expect(expandRange('198.18.0.0/16')).toBeUndefined();
    expect(expandRange('198.18.0.9-3')).toBeUndefined();
    expect(expandRange('198.18.0.1-300')).toBeUndefined();
    expect(expandRange('web')).toBeUndefined();
  });

  it('expands csh braces in include patterns, nested, in order', () => {
    expect(expandBraces('/e/{foo/{,cat,dog},bar}')).toEqual(['/e/foo/', '/e/foo/cat', '/e/foo/dog', '/e/bar']);
  });
});
