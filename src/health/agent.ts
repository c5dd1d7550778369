// The agent check (HAProxy's agent-check protocol): a small agent on the real server answers one
// line saying how the server wants to be treated, so a backend can shed load itself. Pure: the
// reply's words and how they fold into the agent state.
//
// The reply is one line of words separated by spaces, tabs or commas, in any order, each
// optional (HAProxy configuration manual, "agent-check"):
//   "75%"                 serve at 75 % of the configured weight
//   "ready"|"drain"|"maint"  administrative state: in service, no new connections, out of service
//   "up"                  operational state back up (the health check must pass too)
//   "down"|"fail"|"stopped"  operational state down; text after "#" says why
// A word that is absent leaves that part of the state as it was: "drain" followed later by "50%"
// is still draining. Words lvsd does not act on ("maxconn:N") are ignored and named in the reason.
// An agent that cannot be reached changes nothing: reachability is the health check's job.

export type AgentAdminState = 'ready' | 'drain' | 'maint';

/** What one reply said; every field absent when the reply did not mention it. */
export interface AgentReply {
  admin?: AgentAdminState;
  up?: boolean;
  percent?: number;
  /** Text after "#", and words that were ignored. */
  note?: string;
}

/** What the agent last said, as it applies now. */
export interface AgentState {
  admin: AgentAdminState;
  up: boolean;
  /** Share of the configured weight, 0 and up (HAProxy allows more than 100). */
  percent: number;
  /** Operator-facing summary: "drain", "down: disk full", "50%", "unreachable: refused". */
  reason: string;
}

export const initialAgentState: AgentState = { admin: 'ready', up: true, percent: 100, reason: 'no agent reply yet' };

/** Longest line read from an agent; a reply longer than this is cut. */
export const MAX_AGENT_REPLY = 1024;
/** A percentage above this is taken as this: a typo must not give one server all the traffic. */
export const MAX_AGENT_PERCENT = 1000;

export function parseAgentReply(line: string): AgentReply {
  const hash = line.indexOf('#');
  const words = (hash < 0 ? line : line.slice(0, hash)).split(/[\s,]+/).filter((w) => w !== '');
  const reply: AgentReply = {};
  const ignored: string[] = [];
  for (const word of words) {
    const w = word.toLowerCase();
    const pct = /^(\d{1,7})%$/.exec(w);
    if (pct) reply.percent = Math.min(MAX_AGENT_PERCENT, Number(pct[1]));
    else if (w === 'ready' || w === 'drain' || w === 'maint') reply.admin = w;
    else if (w === 'up') reply.up = true;
    else if (w === 'down' || w === 'fail' || w === 'stopped') reply.up = false;
    else ignored.push(word.slice(0, 32));
  }
  const notes = [hash < 0 ? '' : line.slice(hash + 1).trim().slice(0, 200), ignored.length ? `ignored ${ignored.join(' ')}` : ''].filter((n) => n);
  if (notes.length > 0) reply.note = notes.join('; ');
  return reply;
}

/** The state after one reply: the words it had replace their part, the rest stays. */
export function applyAgentReply(state: AgentState, reply: AgentReply): AgentState {
  const next: AgentState = {
    admin: reply.admin ?? state.admin,
    up: reply.up ?? state.up,
    percent: reply.percent ?? state.percent,
    reason: '',
  };
  const parts = [next.up ? (next.admin === 'ready' ? 'ready' : next.admin) : 'down', next.percent === 100 ? '' : `${next.percent}%`];
  next.reason = `${parts.filter((p) => p).join(' ')}${reply.note ? `: ${reply.note}` : ''}`;
  return next;
}

/** The state when the agent did not answer: unchanged, with the failure in the reason. */
export function agentUnreachable(state: AgentState, why: string): AgentState {
  return { ...state, reason: `unreachable (${why}), keeping ${state.up ? state.admin : 'down'}` };
}

/** The configured weight scaled by the agent's percentage, within IPVS's 0–65535 of the config. */
export function agentWeight(weight: number, percent: number): number {
  return Math.min(65535, Math.round((weight * percent) / 100));
}
