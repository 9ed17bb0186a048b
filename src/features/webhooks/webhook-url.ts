import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { invalid } from '../../core/errors.js';
import { isPrivateAddress } from '../../core/net/private-address.js';

const LOOKUP_TIMEOUT_MS = 3_000;

/**
 * Checks an endpoint URL when it is added, so a mistake is a 400 now rather than a failed delivery
 * later. Unless private addresses are allowed, a host that is (or resolves to) a private or loopback
 * address is refused. This is feedback, not the safeguard: DNS can change after this check, so every
 * delivery is checked again on the address its connection really uses (core/net/safe-agent.ts). A
 * name that does not resolve now is accepted; its deliveries fail and say why.
 */
export async function checkWebhookUrl(text: string, allowPrivate: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('url', 'url must be an absolute http or https URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url', `url must use http or https, not ${url.protocol.slice(0, -1)}.`);
  if (url.username || url.password) throw invalid('url', 'url must not carry a user name or password: verify deliveries by their signature instead.');
  if (!url.hostname) throw invalid('url', 'url has no host.');
  url.hash = '';
  if (!allowPrivate) await refusePrivateHost(url.hostname);
  return url.href;
}

async function refusePrivateHost(hostname: string): Promise<void> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const refuse = (address: string) =>
    invalid('url', `url points to ${host === address ? address : `${host} (${address})`}, a private, loopback or otherwise non-public address; webhooks are delivered to public addresses only.`);
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw refuse(host);
    return;
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) throw refuse('loopback');
  const addresses = await resolveQuickly(name);
  const blocked = addresses.find((a) => isPrivateAddress(a));
  if (blocked) throw refuse(blocked);
}

async function resolveQuickly(name: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => (timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS)));
  try {
    return await Promise.race([lookup(name, { all: true }).then((list) => list.map((a) => a.address)), timeout]);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}
