// keepalived's SSL block: the client certificate and key every SSL_GET presents become the
// check's client_cert / client_key; ca and password have no lvsd equivalent and are reported.
import { describe, expect, it } from 'vitest';
import { importKeepalived } from '../../../src/import/convert.js';
import { formatFinding } from '../../../src/import/findings.js';
import type { SourceFiles } from '../../../src/import/types.js';

function importText(text: string) {
  const files: SourceFiles = { read: (p) => (p === '/k.conf' ? text : undefined), glob: () => [] };
  return importKeepalived('/k.conf', files, { configId: 'lb1', display: (p) => p });
}

describe('keepalived SSL block', () => {
  it('gives every SSL_GET the client certificate, and lvsd check then wants the files', () => {
    const r = importText(`
SSL {
    certificate /nonexistent/lvsd-test/client.pem
    key /nonexistent/lvsd-test/client.key
    ca /nonexistent/lvsd-test/ca.pem
    password secret
}
virtual_server 198.18.0.20 443 {
    lb_kind DR
    real_server 198.18.1.21 443 {
        SSL_GET {
            url {
                path /healthz
            }
        }
    }
}
`);
    expect(r.yaml).toContain('client_cert: /nonexistent/lvsd-test/client.pem');
    expect(r.yaml).toContain('client_key: /nonexistent/lvsd-test/client.key');
    expect(r.findings.map(formatFinding)).toEqual([
      expect.stringMatching(/^\/k\.conf:5: ca: not imported: keepalived loads the CA without checking the server/),
      expect.stringMatching(/^\/k\.conf:6: password: not imported: lvsd reads unencrypted keys/),
    ]);
    expect(r.checkErrors).toEqual([
      expect.stringMatching(/^lvsd\.yaml:\d+:\d+: services\[0\]\.check\.client_cert: \/nonexistent\/lvsd-test\/client\.pem does not exist, expected a PEM certificate$/),
      expect.stringMatching(/^lvsd\.yaml:\d+:\d+: services\[0\]\.check\.client_key: \/nonexistent\/lvsd-test\/client\.key does not exist/),
    ]);
  });
});
