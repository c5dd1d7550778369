// Maps a config path (["services", 0, "port"]) back to the YAML node it came from, so every
// message points at the offending text rather than at line 1.
import type { Alias, Document, LineCounter, Node } from 'yaml';
import type { ConfigPath } from './issues.js';
import { yamlLib } from './yaml-lib.js';

export interface Position {
  line: number;
  col: number;
}

export interface SourcePositions {
  /**
   * Where to point for `path`: the node itself when it exists, otherwise the nearest ancestor
   * that does (for a missing key that is the mapping lacking it). With `key: true` and an
   * existing path ending in a mapping key, the key itself (for "unknown key" messages).
   */
  locate(path: ConfigPath, options?: { key?: boolean }): Position;
  /** Whether the operator wrote this path (as opposed to a default filling it in). */
  has(path: ConfigPath): boolean;
}

function isEmptyValue(node: unknown): boolean {
  const { isScalar } = yamlLib();
  if (node === null || node === undefined) return true;
  return isScalar(node) && node.value === null && node.range !== undefined && node.range !== null && node.range[0] === node.range[1];
}

interface Step {
  node: Node;
  keyNode?: Node;
}

export function sourcePositions(doc: Document, lines: LineCounter): SourcePositions {
  const { isAlias, isMap, isPair, isScalar, isSeq, visit } = yamlLib();
  // Each alias's anchor, found in one walk on first need: yaml's Alias.resolve() walks the whole
  // document on every call, which is quadratic when thousands of messages pass through aliases.
  let targets: Map<Node, Node> | undefined;
  const targetOf = (alias: Alias): Node | undefined => {
    if (!targets) {
      const found = new Map<Node, Node>();
      const anchors = new Map<string, Node>();
      visit(doc, {
        Node: (_key, node) => {
          if (isAlias(node)) {
            const target = anchors.get(node.source);
            if (target) found.set(node, target);
          } else if (node.anchor) {
            anchors.set(node.anchor, node);
          }
        },
      });
      targets = found;
    }
    return targets.get(alias);
  };
  const resolve = (node: unknown): unknown => (isAlias(node) ? targetOf(node) : node);

  /** The nodes along `path`, as far as they exist. */
  const walk = (path: ConfigPath): Step[] => {
    const steps: Step[] = [];
    let current = resolve(doc.contents);
    if (!current) return steps;
    steps.push({ node: current as Node });
    for (const seg of path) {
      let next: Step | undefined;
      if (isMap(current)) {
        const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair && !isEmptyValue(pair.value)) {
          next = { node: resolve(pair.value) as Node, keyNode: pair.key as Node };
        } else if (pair) {
          // `key:` with nothing after it: point at the key, not at the end of the line.
          next = { node: pair.key as Node, keyNode: pair.key as Node };
        }
      } else if (isSeq(current) && typeof seg === 'number') {
        const item = current.items[seg];
        if (item !== undefined && item !== null) next = { node: resolve(item) as Node };
      }
      if (!next) break;
      steps.push(next);
      current = next.node;
    }
    return steps;
  };

  const at = (node: Node | undefined): Position => {
    const offset = node?.range?.[0] ?? 0;
    return lines.linePos(offset);
  };

  return {
    locate(path, options = {}) {
      const steps = walk(path);
      const last = steps[steps.length - 1];
      const complete = steps.length === path.length + 1;
      if (complete && options.key && last?.keyNode) return at(last.keyNode);
      return at(last?.node);
    },
    has(path) {
      return walk(path).length === path.length + 1;
    },
  };
}
