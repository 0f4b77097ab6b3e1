// The URL rules every config passes through: the server, once normalised, is what every
// later decision reads (TLS or not, loopback or not, the proxy, the transport's base), so
// "HTTPS://Host:443" and "https://host" can never be judged differently.

import { isIP } from "node:net";
import { ConfigError } from "./errors.js";

type Where = { file?: string | undefined; field: string };

/**
 * The server URL, normalised: scheme and host lower-case (kubectl and Go's net/url read them
 * case-insensitively), the scheme's default port dropped, no trailing slash. Without a
 * scheme it is http://, as kubectl reads it whatever the cluster's TLS settings (measured with
 * kubectl 1.32: `server: host:6443` with a CA and a client certificate is requested as
 * http://host:6443). Messages never echo userinfo.
 */
export function normalizeServer(server: string, where: Where): string {
  const shown = withoutUserinfo(server);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`server "${shown}" is not a URL`, where);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`server scheme ${url.protocol} is not http or https`, where);
  }
  if (url.username || url.password) throw new ConfigError("server URL must not carry credentials", where);
  if (url.search || url.hash) {
    throw new ConfigError(`server "${shown}" must not carry a query or a fragment`, where);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

export function usesTls(server: string): boolean {
  return new URL(server).protocol === "https:";
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h === "::1";
}

/** Credentials over plain http:// only to loopback (kubectl proxy); anywhere else they would leak. */
export function refuseCleartext(server: string, hasCredentials: boolean, where: Where): void {
  const url = new URL(server);
  if (url.protocol === "http:" && hasCredentials && !isLoopback(url.hostname)) {
    throw new ConfigError("refusing to send credentials over plain http:// to a non-loopback server", where);
  }
}

/**
 * A proxy URL, checked as kubectl's proxy-url is (http, https, socks5; client-go's SOCKS5
 * dialer), and without a scheme read as http:// (Go's httpproxy). Messages never echo it:
 * its userinfo is a credential.
 */
export function checkProxy(proxy: string, where: Where): string {
  const parse = (text: string) => {
    try {
      const u = new URL(text);
      return u.host ? u : undefined;
    } catch {
      return undefined;
    }
  };
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy);
  const url = hasScheme ? parse(proxy) : parse(`http://${proxy}`);
  if (!url) throw new ConfigError("proxy-url is not a URL", where);
  if (!["http:", "https:", "socks5:"].includes(url.protocol)) {
    throw new ConfigError(
      `proxy-url scheme ${url.protocol} is not supported (use http, https or socks5)`,
      where,
    );
  }
  return hasScheme ? proxy : `http://${proxy}`;
}

/** "scheme://user:pass@rest" -> "scheme://***@rest", also for text that does not parse as a URL. */
export function withoutUserinfo(text: string): string {
  return text.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i,
    (_m, scheme: string | undefined) => `${scheme ?? ""}***@`,
  );
}

/**
 * The proxy as shown on a config: a password replaced (as Go's URL.Redacted), and a username
 * with no password replaced too, since that is how a proxy token is written.
 */
export function redactUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return withoutUserinfo(u);
  }
  if (url.password) url.password = "***";
  else if (url.username) url.username = "***";
  else return u;
  return url.toString();
}

/** The Proxy-Authorization a proxy URL's userinfo stands for (Go's transport sends it as Basic, user only or not). */
export function proxyAuthorization(proxy: string): string | undefined {
  const url = new URL(proxy);
  if (!url.username && !url.password) return undefined;
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
}

/** The proxy URL without its userinfo, for the dispatcher (which would show it in inspect). */
export function withoutCredentials(proxy: string): string {
  const url = new URL(proxy);
  url.username = "";
  url.password = "";
  return url.href;
}
