// The lvsd command tree as commander prints it: `lvsd --help`, then `lvsd <command> --help` for
// every command it lists, recursively. The man page and the shell completions are rendered from
// this, so they say what the installed CLI says and cannot drift from it. Commander's help is
// the interface (src/cli/main.ts parses argv when imported, so it is run, not imported).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * @typedef {{ flags: string, long: string[], takesValue: boolean, text: string }} Option
 * @typedef {{ path: string[], usage: string, summary: string, description: string, options: Option[], examples: string[], commands: Command[] }} Command
 */

/** Splits commander's help into its sections: the text before the first heading, then heading → lines. */
function sections(text) {
  const out = { intro: [], Options: [], Commands: [], Examples: [], Arguments: [] };
  let current = out.intro;
  for (const line of text.split('\n')) {
    const heading = /^([A-Z][A-Za-z ]*):\s*$/.exec(line);
    if (heading) {
      current = out[heading[1]] ??= [];
      continue;
    }
    current.push(line);
  }
  return out;
}

/** Two-column entries ("  -c, --config <file>  text"), continuation lines joined to their entry. */
function entries(lines) {
  const out = [];
  for (const line of lines) {
    const m = /^ {2}(\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (m) out.push({ left: m[1], text: m[2] ?? '' });
    else if (line.trim() && out.length > 0) out[out.length - 1].text += ` ${line.trim()}`;
  }
  return out;
}

async function describe(cli, path, summary = '') {
  const { stdout } = await run(process.execPath, [cli, ...path, '--help'], { env: { ...process.env, COLUMNS: '80', NO_COLOR: '1' } });
  const s = sections(stdout);
  const intro = s.intro.join('\n').trim();
  const usage = /^Usage: (.*)$/m.exec(intro)?.[1] ?? path.join(' ');
  const description = intro.replace(/^Usage: .*$/m, '').trim().replace(/\s*\n\s*/g, ' ');
  const options = entries(s.Options).map(({ left, text }) => ({
    flags: left,
    long: [...left.matchAll(/(--[\w-]+)/g)].map((m) => m[1]),
    takesValue: /[<[]/.test(left),
    text,
  }));
  const listed = entries(s.Commands)
    .map(({ left, text }) => ({ name: left.split(' ')[0], text }))
    .filter(({ name }) => name !== 'help');
  const commands = await Promise.all(listed.map(({ name, text }) => describe(cli, [...path, name], text)));
  const examples = s.Examples.filter((l) => l.trim()).map((l) => l.trim());
  return { path, usage, summary, description, options, examples, commands };
}

/** The whole tree, from the built CLI (dist/cli/main.js). */
export function commandTree(cli) {
  return describe(cli, []);
}
