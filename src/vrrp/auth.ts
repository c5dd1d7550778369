// VRRPv2 simple-text authentication (RFC 2338 5.3.6.1, keepalived's `auth_type PASS`), so an
// lvsd node can pair with keepalived nodes that use it while a pair is migrated. It is no
// security (the password travels in clear; RFC 3768 removed authentication for that reason):
// it only keeps routers with different passwords from electing each other. As keepalived does,
// an advert is accepted only when its Auth Type and all 8 bytes of Authentication Data equal
// ours, so an instance without a password drops authenticated adverts and the other way round.
import { VRRP_V2_AUTH_DATA_LENGTH, VRRP_V2_AUTH_NONE, VRRP_V2_AUTH_PASS, type VrrpV2Advert } from './packet.js';

/** keepalived uses at most this many characters of auth_pass. */
export const MAX_PASSWORD_LENGTH = VRRP_V2_AUTH_DATA_LENGTH;

/** The Authentication Data of a password: its bytes, zero-padded to 8 (RFC 2338 5.3.10). */
export function passwordAuthData(password: string): Uint8Array {
  const data = new Uint8Array(VRRP_V2_AUTH_DATA_LENGTH);
  data.set(Buffer.from(password, 'latin1').subarray(0, VRRP_V2_AUTH_DATA_LENGTH));
  return data;
}

/** The authentication fields of our VRRPv2 adverts. */
export function advertAuth(password: string | undefined): Pick<VrrpV2Advert, 'authType' | 'authData'> {
  return password === undefined ? { authType: VRRP_V2_AUTH_NONE } : { authType: VRRP_V2_AUTH_PASS, authData: passwordAuthData(password) };
}

/** Does a received VRRPv2 advert carry the authentication we expect (none, or our password)? */
export function authMatches(advert: Pick<VrrpV2Advert, 'authType' | 'authData'>, password: string | undefined): boolean {
  if (password === undefined) return advert.authType === VRRP_V2_AUTH_NONE;
  if (advert.authType !== VRRP_V2_AUTH_PASS || advert.authData === undefined) return false;
  return Buffer.from(advert.authData).equals(Buffer.from(passwordAuthData(password)));
}
