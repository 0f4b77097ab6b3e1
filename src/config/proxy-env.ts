import { isIP } from "node:net";
import { isLoopback } from "./load-config.js";

/**
 * The proxy for a server URL from the environment, as Go's http.ProxyFromEnvironment (which
 * kubectl uses when a cluster has no proxy-url): HTTPS_PROXY for https, HTTP_PROXY for http,
 * upper case first; never for localhost or loopback; NO_PROXY entries are "*", IPs, CIDRs,
 * or host names matching themselves and their subdomains (".x.com": subdomains only), each
 * with an optional port.
 */
export function proxyFromEnv(server: string, env: NodeJS.ProcessEnv): string | undefined {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isLoopback(host)) return undefined;
  const raw =
    url.protocol === "https:" ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!raw) return undefined;
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? "";
  for (const entry of noProxy
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    if (entry === "*") return undefined;
    if (noProxyMatches(entry, host.toLowerCase(), port)) return undefined;
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
}

function noProxyMatches(entry: string, host: string, port: string): boolean {
  if (entry.includes("/")) return inCidr(host, entry);
  let name = entry;
  let entryPort: string | undefined;
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
  if (m) {
    name = m[1] as string;
    entryPort = m[2];
  }
  name = name.replace(/^\[|\]$/g, "");
  if (entryPort && entryPort !== port) return false;
  if (isIP(name)) return name === host;
  if (name.startsWith(".")) return host.endsWith(name);
  if (name.startsWith("*.")) return host.endsWith(name.slice(1));
  return host === name || host.endsWith(`.${name}`);
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  if (isIP(host) !== 4 || isIP(base ?? "") !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32)
    return false;
  const num = (ip: string) => ip.split(".").reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (num(host) & mask) === (num(base as string) & mask);
}
