import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { BlockedAddressError } from './fetch-errors.js';
import { isPrivateAddress } from './private-address.js';

/** Where a socket is about to connect, as the address policy sees it. */
export interface ConnectTarget {
  /** The URL's host name (or IP literal, without brackets). */
  hostname: string;
  /** The resolved address the socket would use. */
  address: string;
  port: number;
}

/**
 * Which non-public addresses may be reached. `false` (the default): none. `true`: all
 * (ALLOW_PRIVATE_URLS=true). A function decides per connection, for an allow-list of specific
 * intranet hosts or a test that trusts its own server but nothing else on the same machine.
 * Public addresses are always allowed; the policy is only asked about non-public ones.
 */
export type PrivateAddressPolicy = boolean | ((target: ConnectTarget) => boolean);

const mayConnect = (policy: PrivateAddressPolicy, target: ConnectTarget) =>
  !isPrivateAddress(target.address) || policy === true || (typeof policy === 'function' && policy(target));

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A drop-in for dns.lookup that refuses the connection when ANY resolved address is not allowed.
 * The socket connects to the very addresses checked here, so a name that resolves to a public
 * address for a first check and to 127.0.0.1 later (DNS rebinding) cannot slip through.
 */
function checkedLookup(policy: PrivateAddressPolicy, port: number, origin: string) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const blocked = addresses.find((a) => !mayConnect(policy, { hostname, address: a.address, port }));
      if (blocked) return callback(new BlockedAddressError(origin, hostname, blocked.address) as NodeJS.ErrnoException, []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * The undici connector: IP literals are checked here (net.connect skips lookup for them), names
 * through checkedLookup. Connectors are built per port because the policy may depend on it; each
 * keeps undici's own TLS session cache and connect timeout.
 */
function checkedConnector(policy: PrivateAddressPolicy, connectTimeoutMs: number): buildConnector.connector {
  const byPort = new Map<string, buildConnector.connector>();
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const origin = `${opts.protocol}//${isIP(opts.hostname) === 6 ? `[${opts.hostname}]` : opts.hostname}:${port}`;
    if (isIP(opts.hostname) && !mayConnect(policy, { hostname: opts.hostname, address: opts.hostname, port })) {
      callback(new BlockedAddressError(origin, opts.hostname, opts.hostname), null);
      return;
    }
    let connect = byPort.get(opts.port);
    if (!connect) {
      connect = buildConnector({ timeout: connectTimeoutMs, lookup: checkedLookup(policy, port, origin) } as buildConnector.BuildOptions);
      byPort.set(opts.port, connect);
    }
    connect(opts, callback);
  };
}

const booleanAgents = new Map<string, Agent>();
const policyAgents = new WeakMap<(target: ConnectTarget) => boolean, Map<number, Agent>>();

/**
 * The shared agent for a policy and connect timeout. Agents are reused so a crawl keeps its
 * keep-alive connections; they hold no per-request state.
 */
export function safeAgent(policy: PrivateAddressPolicy, connectTimeoutMs: number): Agent {
  const make = () => new Agent({ connect: checkedConnector(policy, connectTimeoutMs), keepAliveTimeout: 4_000 });
  if (typeof policy === 'boolean') {
    const key = `${policy}:${connectTimeoutMs}`;
    let agent = booleanAgents.get(key);
    if (!agent) booleanAgents.set(key, (agent = make()));
    return agent;
  }
  let byTimeout = policyAgents.get(policy);
  if (!byTimeout) policyAgents.set(policy, (byTimeout = new Map()));
  let agent = byTimeout.get(connectTimeoutMs);
  if (!agent) byTimeout.set(connectTimeoutMs, (agent = make()));
  return agent;
}
