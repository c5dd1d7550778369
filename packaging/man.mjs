// Man pages in roff, rendered from what the code says: lvsd(8) from the CLI's help tree
// (cli-help.mjs), lvsd.yaml(5) from the configuration reference that src/config/reference.ts
// generates from the schema. Nothing here is written by hand except the framing paragraphs.

/** Escapes text for roff: backslashes, and a leading dot or apostrophe that would be a request. */
const esc = (s) => s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
const plain = (s) => s.replace(/`/g, '');

function header(name, section, date, version, title) {
  return [`.TH ${name.toUpperCase()} ${section} "${date}" "lvsd ${version}" "${title}"`];
}

function commandSection(cmd) {
  const out = [];
  const name = ['lvsd', ...cmd.path].join(' ');
  if (cmd.path.length > 0) out.push(`.SS ${esc(name)}`);
  out.push(`.B ${esc(cmd.usage)}`, '.PP', esc(cmd.description));
  for (const o of cmd.options) out.push('.TP', `.B ${esc(o.flags)}`, esc(o.text));
  if (cmd.examples.length > 0) out.push('.PP', 'Examples:', '.RS', '.nf', ...cmd.examples.map(esc), '.fi', '.RE');
  for (const c of cmd.commands) out.push(...commandSection(c));
  return out;
}

/** lvsd(8): synopsis, each command with its options, files. */
export function lvsdManPage(tree, { date, version }) {
  const top = { ...tree, commands: [] };
  return [
    ...header('lvsd', 8, date, version, 'System Administration'),
    '.SH NAME',
    'lvsd \\- Layer\\-4 load balancer: kernel IPVS, health checks and VRRP from one YAML file',
    '.SH SYNOPSIS',
    ...tree.commands.flatMap((c) => [`.B ${esc(['lvsd', ...c.path].join(' '))}`, `${esc(c.usage.split(' ').slice(1 + c.path.length).join(' '))}`, '.br']),
    '.SH DESCRIPTION',
    ...commandSection(top).slice(2),
    '.SH COMMANDS',
    ...tree.commands.flatMap(commandSection),
    '.SH FILES',
    '.TP',
    '.I /etc/lvsd/lvsd.yaml',
    'the configuration, see',
    '.BR lvsd.yaml (5)',
    '.TP',
    '.I /run/lvsd/lvsd.sock',
    'the control socket the commands above talk to the daemon on',
    '.TP',
    '.I /var/lib/lvsd',
    'which IPVS services lvsd manages',
    '.SH SEE ALSO',
    '.BR lvsd.yaml (5),',
    '.BR ipvsadm (8),',
    '.BR systemctl (1)',
    '',
  ].join('\n');
}

/** lvsd.yaml(5): every key of the schema, one table per object, as key / type / default / meaning. */
export function configManPage(referenceMarkdown, { date, version }) {
  const out = [
    ...header('lvsd.yaml', 5, date, version, 'File Formats'),
    '.SH NAME',
    'lvsd.yaml \\- configuration of the lvsd load balancer',
    '.SH DESCRIPTION',
    'One YAML file holds the whole desired state: node identity, VRRP instances, services and their real servers with health checks.',
    'Check a file with',
    '.B lvsd check \\-c',
    '.IR file ;',
    'a bad file is reported as file:line:col and changes nothing.',
    'Durations are written like 100ms, 2s or 1m30s.',
    'The JSON Schema is printed by',
    '.BR "lvsd schema" .',
    '.SH KEYS',
  ];
  for (const line of referenceMarkdown.split('\n')) {
    const title = /^#+\s+(.*)$/.exec(line);
    if (title) {
      out.push(`.SS ${esc(plain(title[1]))}`);
      continue;
    }
    const cells = /^\|(.*)\|$/.exec(line)?.[1].split(/(?<!\\)\|/).map((c) => plain(c.trim().replace(/\\\|/g, '|')));
    if (!cells || cells[0] === 'key' || /^-+$/.test(cells[0])) continue;
    const [key, type, def, meaning] = cells;
    out.push('.TP', `.B ${esc(key)}`, esc(`${type}${def ? `; ${def === 'required' ? 'required' : `default ${def}`}` : ''}.${meaning ? ` ${meaning}` : ''}`));
  }
  out.push('.SH FILES', '.I /etc/lvsd/lvsd.yaml', '.SH SEE ALSO', '.BR lvsd (8)', '');
  return out.join('\n');
}
