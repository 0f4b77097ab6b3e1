import { inspect } from "node:util";
import { ConfigError } from "./errors.js";
import type { ExecContext } from "./exec-credential.js";
import type { ExecEntry } from "./kubeconfig-file.js";

/**
 * How requests authenticate, as plain data: the config describes it, the transport acts on it
 * (reads and re-reads the token file, runs the exec plugin).
 */
export type AuthSpec =
  | { kind: "none" }
  | { kind: "token"; token: string }
  | { kind: "token-file"; path: string; periodMs: number; file?: string | undefined; field: string }
  | { kind: "basic"; username: string; password: string }
  | { kind: "exec"; exec: ExecEntry; context: ExecContext };

/** How often a token file is re-read at most, as client-go's NewCachedFileTokenSource (a minute). */
export const TOKEN_REFRESH_MS = 60_000;

/** What the transport needs and the config must not show. */
export interface Credentials {
  auth: AuthSpec;
  clientCert?: { cert: string; key: string };
  /** The proxy in use (the cluster's proxy-url, else HTTPS_PROXY/HTTP_PROXY of the loader's env). */
  proxyUrl?: string;
}

/**
 * Credentials travel with the config under a symbol key, so a spread copy
 * (`{ ...config, namespace: "x" }`) keeps them; inside a sealed box with a private field, so
 * JSON.stringify, console.log and util.inspect never show them. The box names the server
 * they were loaded for: a copy with another server (`{ ...config, server: other }`) would
 * send them there, so it is refused, and withServer() is the deliberate way.
 */
const CREDENTIALS = Symbol("kubefetch.credentials");
/** Internal: the key, so a copy that re-seals can leave the old box out. */
export const CREDENTIALS_KEY: typeof CREDENTIALS = CREDENTIALS;

class Sealed {
  readonly #credentials: Credentials;
  readonly #server: string;
  constructor(c: Credentials, server: string) {
    this.#credentials = c;
    this.#server = server;
  }
  static open(s: Sealed): Credentials {
    return s.#credentials;
  }
  static server(s: Sealed): string {
    return s.#server;
  }
  toJSON() {
    return "[credentials]";
  }
  [inspect.custom]() {
    return "[credentials]";
  }
}

/** The config, frozen, with its credentials attached. */
export function sealConfig<T extends { server: string }>(cfg: T, credentials: Credentials): Readonly<T> {
  Object.defineProperty(cfg, CREDENTIALS, { value: new Sealed(credentials, cfg.server), enumerable: true });
  return Object.freeze(cfg);
}

/** Internal: the credentials of a config made by loadConfig or createConfig (or a copy of one). */
export function credentialsOf(cfg: { server: string }): Credentials {
  const s = (cfg as { [CREDENTIALS]?: unknown })[CREDENTIALS];
  if (!(s instanceof Sealed)) {
    throw new ConfigError(
      "this config carries no credentials: make it with loadConfig() or createConfig(), or copy one with withNamespace() or a spread",
    );
  }
  if (Sealed.server(s) !== cfg.server) {
    throw new ConfigError(
      `this config's server ${JSON.stringify(cfg.server)} is not the one its credentials were loaded for (${Sealed.server(s)}): a copy that changes the server does not carry them; use withServer(config, server) to send them there on purpose`,
      { field: "server" },
    );
  }
  return Sealed.open(s);
}
