// The `nodes:` section: one file for every node of a pair. The file is written once, as for one
// node; each entry under `nodes:` holds only what that node does differently, merged onto the
// shared part when the node is chosen (nodes.ts). The merged view is an ordinary one-node config
// and goes through configSchema and the rules like any other file.
//
// Why an override map and not per-field lists (`priority: { lb1: 150, lb2: 100 }`): the shared
// part keeps the one-node schema unchanged (every field one type, the same completion and the
// same messages), everything a node does differently is in one place to review, and a node's
// view is built by plain merging instead of by resolving every field that might be a list.
import * as z from 'zod';
import { EXPECTED, interfaceName, ipAddress, mapping, name } from './primitives.js';
import { configSchema, instanceSchema, nodeSchema } from './schema.js';

/**
 * Instance fields both nodes must agree on, because they travel in the adverts or decide which
 * adverts belong together (RFC 5798 sec. 5.2), with why. An entry for one of them is refused.
 */
export const SHARED_INSTANCE_FIELDS: Readonly<Record<string, string>> = {
  name: 'an instance is named by its key under instances',
  vrid: 'the nodes of a virtual router must use the same vrid',
  version: 'the nodes must speak the same VRRP version',
  advert_interval: 'the nodes must send the same advert interval (VRRPv2 drops a mismatch)',
  authentication: 'the nodes must carry the same password',
  vips: 'the nodes float the same addresses',
};

interface WrapperDef {
  type: string;
  innerType?: z.ZodType;
}

/** The field's own type without its default: absent in an entry means "as the shared part says". */
function withoutDefault(field: z.ZodType): z.ZodType {
  let inner = field;
  for (let def = inner._zod.def as unknown as WrapperDef; ['default', 'prefault', 'optional'].includes(def.type) && def.innerType; def = inner._zod.def as unknown as WrapperDef) {
    inner = def.innerType;
  }
  return field.description === undefined ? inner : inner.describe(field.description);
}

/** Daemon-wide sections a node may set for itself (e.g. metrics on its own address), merged key by key. */
export const NODE_SECTIONS = ['control', 'metrics', 'ipvs', 'bgp', 'peer'] as const;

/**
 * The schemas, built on first use: a file without nodes: (and every lvsd check of one) never
 * pays for them.
 */
let built: { nodes: z.ZodType; file: z.ZodType } | undefined;

export function nodesSchema(): z.ZodType {
  return (built ??= build()).nodes;
}

/**
 * The file as written: a one-node config, or a shared part with `nodes:` (and then no `node:`).
 * For the JSON Schema and the reference only: the loader checks `nodes:` with nodesSchema and
 * each node's view with configSchema.
 */
export function fileSchema(): z.ZodType {
  return (built ??= build()).file;
}

/** A section's fields, each optional and without its default (nested sections too), for a node entry to override. */
function overridable(section: z.ZodType): Record<string, z.ZodType> {
  const shape = (withoutDefault(section) as z.ZodObject).shape as Record<string, z.ZodType>;
  return Object.fromEntries(Object.entries(shape).map(([key, field]) => {
    const bare = withoutDefault(field);
    const nested = bare instanceof z.ZodObject ? mapping(overridable(bare), field.description ?? bare.description ?? '') : bare;
    return [key, nested.optional()];
  }));
}

function build(): { nodes: z.ZodType; file: z.ZodType } {
  const instanceOverrideShape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(instanceSchema.shape as Record<string, z.ZodType>)) {
    const why = SHARED_INSTANCE_FIELDS[key];
    instanceOverrideShape[key] = why === undefined
      ? withoutDefault(field).optional()
      : z.never({ error: `${EXPECTED}${key} only in vrrp.instances: ${why}` }).optional().describe(`not per node: ${why}`);
  }

  const instanceOverrideSchema = mapping(instanceOverrideShape, 'this node\'s values for one instance; they replace the shared ones (lists whole)').meta({ id: 'NodeInstance' });

  const nodeEntrySchema = mapping(
    {
      unicast_source: ipAddress('this node\'s address for unicast adverts, used by every instance of its address family that names none; the other nodes send their adverts to it').optional(),
      interfaces: z
        .record(interfaceName('an interface name of the shared part'), interfaceName('its name on this node'))
        .optional()
        .describe('interfaces named differently on this node: shared name -> this node\'s name, everywhere the shared part names it (instances, VIPs, tracking, sync daemon)'),
      instances: z
        .record(name('a VRRP instance name'), instanceOverrideSchema)
        .optional()
        .describe('per-instance values of this node, by instance name (priority, preempt, interface, unicast_source, unicast_peers, track, notify, garp, ...)'),
      control: mapping(overridable(configSchema.shape.control), 'this node\'s control socket').optional(),
      metrics: mapping(overridable(configSchema.shape.metrics), 'this node\'s metrics endpoint, e.g. on its own address').optional(),
      ipvs: mapping(overridable(configSchema.shape.ipvs), 'this node\'s IPVS settings, merged key by key onto the shared ones (e.g. sync_daemon: { interface: ens4 })').optional(),
    bgp: mapping(overridable(configSchema.shape.bgp), 'this node\'s BGP settings, merged key by key onto the shared ones (e.g. router_id)').optional(),
      peer: mapping(overridable(configSchema.shape.peer), 'this node\'s peer protocol settings, merged key by key (listen and peers default to the nodes\' unicast_source)').optional(),
    },
    'what this node does differently from the shared part',
  ).meta({ id: 'Node' });

  const nodes = z
    .record(name('a node name'), nodeEntrySchema, { error: `${EXPECTED}a mapping of node names to what each does differently` })
    .describe('one file for several nodes: each node by name, with only what it does differently (node.name is the key; choose with lvsd --node NAME, LVSD_NODE or the host name)');

  const file = configSchema.extend({
    node: nodeSchema.optional().describe('identity of this node; required unless nodes: names the nodes'),
    nodes: nodes.optional(),
  });
  return { nodes, file };
}
