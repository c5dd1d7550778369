// The lvsd YAML of an import, built with the yaml package's Document API: a header saying
// where it came from, the keepalived file:line above each block, short lists of scalars in
// flow style ([a, b]) so commands and address lists read as one line each.
import { Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Mapped } from './map.js';

export function writeYaml(mapped: Mapped, header: string): string {
  // Entries of one virtual_server_group share their real servers: written out each time, not as aliases.
  const doc = new Document(mapped.config, { version: '1.2', aliasDuplicateObjects: false });
  doc.commentBefore = header;
  annotate(doc.contents as Node, mapped.config, mapped.origins);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Walks the nodes and the data they were made from side by side (createNode keeps the order). */
function annotate(node: Node | null, value: unknown, origins: Map<object, string>, commented = false): void {
  if (node === null || value === null || typeof value !== 'object') return;
  const origin = commented ? undefined : origins.get(value);
  if (origin !== undefined) node.commentBefore = ` ${origin}`;
  if (isSeq(node) && Array.isArray(value)) {
    if (value.length > 0 && node.items.every((item) => isScalar(item))) node.flow = true;
    node.items.forEach((item, i) => annotate(item as Node, value[i], origins));
  } else if (isMap(node)) {
    const entries = Object.values(value as Record<string, unknown>);
    node.items.forEach((pair, i) => {
      const child = entries[i];
      const comment = child !== null && typeof child === 'object' ? origins.get(child) : undefined;
      // A comment on a mapping value inside a mapping reads best above its key.
      if (comment !== undefined && isMap(pair.value) && isScalar(pair.key)) {
        pair.key.commentBefore = ` ${comment}`;
      }
      annotate(pair.value as Node, child, origins, comment !== undefined && isMap(pair.value));
    });
  }
}
