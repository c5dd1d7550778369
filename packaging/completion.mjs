// bash and zsh completion for lvsd, rendered from the CLI's help tree (cli-help.mjs): the
// commands and options offered are the ones the installed CLI accepts.

const allCommands = (cmd) => cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
const key = (cmd) => cmd.path.join(' ');

/** bash: completes the command path word by word, then that command's long options; files after --config. */
export function bashCompletion(tree) {
  const cases = [tree, ...allCommands(tree)].map((c) => {
    const words = [...c.commands.map((s) => s.path.at(-1)), ...c.options.flatMap((o) => o.long)].join(' ');
    return `    "${key(c)}") words="${words}" ;;`;
  });
  return `# bash completion for lvsd, generated from its --help (packaging/completion.mjs)
_lvsd() {
  local cur prev path="" words="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    -c|--config|--out|-o) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) path="\${path:+$path }\${COMP_WORDS[i]}" ;; esac
  done
  case "$path" in
${cases.join('\n')}
    *) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _lvsd lvsd
`;
}

const zq = (s) => s.replace(/'/g, "'\\''").replace(/[[\]:]/g, '\\$&');

/** zsh: one function per command, _arguments with each option's description, subcommands via _describe. */
export function zshCompletion(tree) {
  const fn = (c) => `_lvsd${c.path.map((p) => `_${p.replace(/-/g, '_')}`).join('')}`;
  const body = [tree, ...allCommands(tree)].map((c) => {
    const opts = c.options
      .filter((o) => o.long.length > 0)
      .map((o) => `    '${o.long[0]}[${zq(o.text)}]${o.takesValue ? `:value:${/config|file|out/.test(o.flags) ? '_files' : ' '}` : ''}'`);
    if (c.commands.length === 0) return `${fn(c)}() {\n  _arguments \\\n${[...opts, "    '*:file:_files'"].join(' \\\n')}\n}`;
    const subs = c.commands.map((s) => `    '${s.path.at(-1)}:${zq(s.summary)}'`);
    const dispatch = c.commands.map((s) => `    ${s.path.at(-1)}) ${fn(s)} ;;`).join('\n');
    return `${fn(c)}() {
  local -a subcommands
  subcommands=(
${subs.join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'lvsd command' subcommands
    _arguments ${opts.map((o) => o.trim()).join(' ')}
    return
  fi
  local cmd=\${words[2]}
  shift words; (( CURRENT-- ))
  case $cmd in
${dispatch}
  esac
}`;
  });
  return `#compdef lvsd
# zsh completion for lvsd, generated from its --help (packaging/completion.mjs)
${body.join('\n\n')}

_lvsd "$@"
`;
}
