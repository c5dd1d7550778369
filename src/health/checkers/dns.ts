// DNS check over UDP: one query, the answer must carry the expected rcode and, when set, a
// record of the queried type whose data contains `expect_answer` as a whole field: "198.18.2.53"
// for A, "mail.example" or "10 mail.example" for MX (never a substring such as "198.18.2.5"). An ICMP port unreachable
// arrives as ECONNREFUSED on the connected socket and fails the probe at once.
import { randomInt } from 'node:crypto';
import type { Checker, DnsCheck, ProbeResult } from '../types.js';
import { decodeMessage, dnsTypeCodes, encodeQuery, rcodeName, type DnsMessage } from './dns-codec.js';
import { guarded, probePort } from './probe.js';
import { startUdpExchange } from './udp-exchange.js';

export const dnsChecker: Checker<DnsCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, (onStop) =>
    new Promise<Omit<ProbeResult, 'durationMs'>>((resolve) => {
      const id = randomInt(0, 0x10000);
      const finish = startUdpExchange({
        target,
        port: probePort(target, spec),
        source: spec.source,
        payload: () => encodeQuery(id, spec.query_name, spec.query_type),
        onMessage: (msg, done) => {
          let reply: DnsMessage;
          try {
            reply = decodeMessage(msg);
          } catch (err) {
            return done(false, `malformed reply: ${(err as Error).message}`);
          }
          // A stray datagram (wrong id, or not a reply to our question) is not the answer.
          if (reply.id !== id || !reply.response || !sameQuestion(reply, spec)) return;
          done(...judge(reply, spec));
        },
        resolve,
      });
      onStop((reason) => finish(false, reason));
    }),
  );

function sameQuestion(reply: DnsMessage, spec: DnsCheck): boolean {
  const q = reply.questions[0];
  return q === undefined || (sameName(q.name, spec.query_name) && q.type === dnsTypeCodes[spec.query_type]);
}

function judge(reply: DnsMessage, spec: DnsCheck): [boolean, string] {
  const rcode = rcodeName(reply.rcode);
  if (rcode !== spec.expect_rcode.toUpperCase()) return [false, `rcode ${rcode}`];
  if (spec.expect_answer === undefined) return [true, `rcode ${rcode}`];
  const type = dnsTypeCodes[spec.query_type];
  const want = normalize(spec.expect_answer);
  const found = reply.answers.some((a) => a.type === type && containsFields(normalize(a.data), want));
  if (found) return [true, 'answer matched'];
  return [false, reply.truncated ? 'answer not found (truncated reply)' : 'answer mismatch'];
}

/** `want` equals `data` or a run of its space-separated fields (names compared without the root dot). */
function containsFields(data: string, want: string): boolean {
  const fields = data.split(/\s+/).map(normalize);
  const wanted = want.split(/\s+/).map(normalize);
  for (let i = 0; i + wanted.length <= fields.length; i++) {
    if (wanted.every((w, j) => fields[i + j] === w)) return true;
  }
  return false;
}

function sameName(a: string, b: string): boolean {
  return normalize(a) === normalize(b);
}

/** Compare names and record data case-insensitively and without a trailing root dot. */
function normalize(s: string): string {
  const lower = s.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
