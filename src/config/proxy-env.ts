import { BlockList, isIP } from "node:net";
import { checkProxy, isLoopback, usesTls } from "./server-url.js";

/**
 * The proxy for a server URL from the environment, as Go's golang.org/x/net/http/httpproxy
 * (FromEnvironment, which kubectl uses when a cluster has no proxy-url):
 * - HTTPS_PROXY for https, HTTP_PROXY for http; of each pair the first non-empty one, upper
 *   case first (an empty HTTPS_PROXY does not hide https_proxy; likewise NO_PROXY);
 * - never for "localhost" or a loopback IP;
 * - NO_PROXY: comma-separated, "*" for all; an IPv4 or IPv6 CIDR; an IP, with an optional
 *   port; a host name, matching itself and its subdomains ("*.x.com" as ".x.com"; ".x.com"
 *   matches subdomains only), with an optional port.
 * The raw value is returned (with http:// added when it has no scheme); envProxy checks it.
 */
export function proxyFromEnv(server: string, env: NodeJS.ProcessEnv): string | undefined {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isLoopback(host)) return undefined;
  const raw =
    url.protocol === "https:"
      ? anyOf(env, "HTTPS_PROXY", "https_proxy")
      : anyOf(env, "HTTP_PROXY", "http_proxy");
  if (!raw) return undefined;
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  if (noProxy(anyOf(env, "NO_PROXY", "no_proxy") ?? "", host, port)) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
}

/** The proxy of the environment for a server, checked as a proxy-url is (its text never in a message). */
export function envProxy(server: string, env: NodeJS.ProcessEnv): string | undefined {
  const raw = proxyFromEnv(server, env);
  if (raw === undefined) return undefined;
  const name = usesTls(server) ? "HTTPS_PROXY" : "HTTP_PROXY";
  return checkProxy(raw, { field: `${name} (environment)` });
}

/** Go's getEnvAny: the first variable that is set and not empty. */
function anyOf(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v) return v;
  }
  return undefined;
}

const family = (ip: string) => (isIP(ip) === 6 ? "ipv6" : "ipv4");

function noProxy(list: string, host: string, port: string): boolean {
  const ip = isIP(host) ? host : undefined;
  for (const entry of list.split(",").map((s) => s.trim().toLowerCase())) {
    if (!entry) continue;
    if (entry === "*") return true;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr && isIP(cidr[1] as string)) {
      if (ip && cidrContains(cidr[1] as string, Number(cidr[2]), ip)) return true;
      continue;
    }
    let name = entry;
    let entryPort = "";
    const hp = /^(\[[^\]]*\]|[^:]*):(\d*)$/.exec(entry);
    if (hp) {
      name = (hp[1] as string).replace(/^\[|\]$/g, "");
      entryPort = hp[2] as string;
      // Go skips an entry with no host part: it is malformed.
      if (!name) continue;
    } else if (entry.startsWith("[") && entry.endsWith("]")) name = entry.slice(1, -1);
    const portOk = entryPort === "" || entryPort === port;
    if (isIP(name)) {
      if (ip && sameIp(name, ip) && portOk) return true;
      continue;
    }
    if (name.startsWith("*.")) name = name.slice(1);
    const matchHost = !name.startsWith(".");
    const suffix = matchHost ? `.${name}` : name;
    if ((host.endsWith(suffix) || (matchHost && host === name)) && portOk) return true;
  }
  return false;
}

function sameIp(a: string, b: string): boolean {
  if (isIP(a) !== isIP(b)) return false;
  const list = new BlockList();
  list.addAddress(a, family(a));
  return list.check(b, family(b));
}

function cidrContains(base: string, bits: number, ip: string): boolean {
  const f = family(base);
  if (bits > (f === "ipv6" ? 128 : 32) || family(ip) !== f) return false;
  const list = new BlockList();
  try {
    list.addSubnet(base, bits, f);
  } catch {
    return false;
  }
  return list.check(ip, f);
}
